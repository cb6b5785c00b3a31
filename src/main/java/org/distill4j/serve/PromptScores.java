package org.distill4j.serve;

import org.distill4j.generate.TopLogprobs;

/**
 * Log-probabilities of a prompt's own tokens, for echo: entry j (j >= 1) is log p(token j | tokens
 * before it); the first token has no context, so entry 0 is NaN and its top list null.
 */
record PromptScores(long[] ids, float[] logprobs, TopLogprobs[] top) {}
