package org.distill4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * Runs shared/bench/pytorch_peer.py (PyTorch eager + transformers) in the same bench run, so that the
 * ratio compares figures measured on the same machine at the same time.
 */
public final class PytorchPeer {
    /** Set by ./distill to the GLIBC_TUNABLES the user had before it added its own. */
    private static final String USER_TUNABLES = "DISTILL_USER_GLIBC_TUNABLES";

    private PytorchPeer() {}

    /**
     * Returns tok/s (or GFLOP/s for "peak") keyed "workload/config" from the script's JSON lines. The peer runs
     * with the malloc settings the user had before the launcher's own (see ./distill), as `python pytorch_peer.py`
     * would, unless {@code sameMalloc}.
     */
    public static Map<String, Double> run(Path python, Path script, boolean sameMalloc, String... workloads) {
        var cmd = new java.util.ArrayList<String>();
        cmd.add(python.toString());
        cmd.add(script.toString());
        cmd.addAll(java.util.List.of(workloads));
        Map<String, Double> out = new LinkedHashMap<>();
        for (JsonNode n : jsonLines(python, script, cmd, sameMalloc)) {
            String key = n.path("workload").asText() + "/" + n.path("config").asText("");
            out.put(key, n.has("tok_s") ? n.path("tok_s").asDouble() : n.path("gflop_s").asDouble());
        }
        return out;
    }

    /**
     * Runs a peer script ({@code cmd} starts with {@code python script}), its stderr passed through, with the user's
     * malloc settings unless {@code sameMalloc}; returns the stdout lines that are JSON objects. A non-zero exit is an
     * error.
     */
    static java.util.List<JsonNode> jsonLines(Path python, Path script, java.util.List<String> cmd, boolean sameMalloc) {
        if (!Files.isRegularFile(script)) {
            throw new UserError(script + ": peer script not found");
        }
        java.util.List<JsonNode> out = new java.util.ArrayList<>();
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            String userTunables = System.getenv(USER_TUNABLES);
            if (!sameMalloc && userTunables != null) {
                if (userTunables.isEmpty()) {
                    pb.environment().remove("GLIBC_TUNABLES");
                } else {
                    pb.environment().put("GLIBC_TUNABLES", userTunables);
                }
            }
            Process p = pb.start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("{")) {
                        out.add(Json.MAPPER.readTree(line));
                    }
                }
            }
            int code = p.waitFor();
            if (code != 0) {
                throw new UserError("peer script " + script + " exited with " + code);
            }
        } catch (IOException e) {
            throw new UserError("cannot run peer " + python + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("interrupted while running the peer");
        }
        return out;
    }
}
