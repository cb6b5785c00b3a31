package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.bench.TopKError;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.data.SftData;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.Divergence;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench topk}: the error of a top-k teacher against the full vocabulary, on the user's models and data. */
@Command(name = "topk", mixinStandardHelpOptions = true,
        description = "Loss and gradient of a top-k teacher (k ids + tail bucket) against the full vocabulary, along real responses; "
                + "one JSON line per k (the first is the full vocabulary, k = V).")
final class BenchTopKCommand implements Callable<Integer> {
    @Option(names = "--teacher", required = true, description = "Teacher checkpoint directory.")
    Path teacherDir;

    @Option(names = "--student", required = true, description = "Student checkpoint directory (same tokenizer).")
    Path studentDir;

    @Option(names = "--data", required = true, description = "JSONL of {\"prompt\", \"response\"}: the responses along which to compare.")
    Path data;

    @Option(names = "--k", split = ",", defaultValue = "1,2,4,8,16,32,64", description = "Default: ${DEFAULT-VALUE}.")
    List<Integer> ks;

    @Option(names = "--loss", defaultValue = "fkl", description = "fkl, rkl, jsd, skl, srkl or tvd. Default: ${DEFAULT-VALUE}.")
    String lossName;

    @Option(names = "--beta", defaultValue = "0.5", description = "JSD β. Default: ${DEFAULT-VALUE}.")
    double beta;

    @Option(names = "--alpha", defaultValue = "0.1", description = "Skew α. Default: ${DEFAULT-VALUE}.")
    double alpha;

    @Option(names = "--loss-temperature", defaultValue = "1.0", description = "Softmax temperature of both models in the loss. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--limit", defaultValue = "256", description = "Examples used (the first N). Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--batch", defaultValue = "16", description = "Default: ${DEFAULT-VALUE}.")
    int batch;

    @Override
    public Integer call() {
        if (limit < 1 || batch < 1) {
            throw new UserError("--limit and --batch must be >= 1");
        }
        DistillationLoss loss = new DistillationLoss(Divergence.parse(lossName, beta, alpha), temperature);
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(teacherDir, m);
             Transformer student = Checkpoint.loadTransformer(studentDir, m);
             Tokenizer tok = Checkpoint.loadTokenizer(studentDir, student.config())) {
            if (teacher.config().vocabSize() != student.config().vocabSize()) {
                throw new UserError("teacher vocabulary " + teacher.config().vocabSize() + " ≠ student vocabulary "
                        + student.config().vocabSize() + " (" + teacherDir + ", " + studentDir + ")");
            }
            long eos = student.config().eosTokenId();
            if (eos < 0) {
                throw new UserError(studentDir + "/config.json: no eos_token_id");
            }
            List<Example> examples = SftData.load(data, new PromptTemplate(tok, eos), student.config().vocabSize(),
                    student.config().maxPositionEmbeddings()).examples();
            examples = examples.subList(0, Math.min(limit, examples.size()));
            long t0 = System.nanoTime();
            for (TopKError.Row r : TopKError.measure(teacher, student, examples, ks, loss, batch)) {
                System.out.printf("{\"k\":%d,\"loss\":\"%s\",\"loss_full\":%.6f,\"loss_topk\":%.6f,\"rel_error\":%.5f,"
                                + "\"grad_cosine\":%.5f,\"grad_rel_error\":%.5f,\"teacher_topk_mass\":%.5f,\"bytes_per_position\":%d,"
                                + "\"loss_ms_per_batch\":%.2f}%n",
                        r.k(), lossName, r.lossFull(), r.lossTopK(), r.relError(), r.gradCosine(), r.gradRelError(), r.teacherMass(),
                        r.bytesPerPosition(), r.lossMillis());
            }
            System.err.printf("bench topk: %d examples in %.1f s%n", examples.size(), (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }
}
