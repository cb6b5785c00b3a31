package org.distill4j.serve;

import java.util.List;
import org.distill4j.generate.Sample;

/**
 * What the batching worker hands back for one request.
 *
 * @param samples prompt-major, n per prompt; empty when max_tokens was 0
 * @param scores  per prompt, for echo with logprobs; null otherwise
 */
record GenerationResult(List<Sample> samples, List<PromptScores> scores) {}
