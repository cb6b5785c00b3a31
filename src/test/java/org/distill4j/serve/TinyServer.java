package org.distill4j.serve;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.distill4j.lm.LanguageModel;

/** The tiny checkpoint served on 127.0.0.1 and an ephemeral port; close it in the test's teardown. */
final class TinyServer implements AutoCloseable {
    final LanguageModel lm;
    final OpenAiServer server;

    private TinyServer(LanguageModel lm, OpenAiServer server) {
        this.lm = lm;
        this.server = server;
    }

    /** Serves the tiny model as "tiny" with the loopback defaults, changed by {@code settings}. */
    static TinyServer start(Path dir, UnaryOperator<ServeConfig> settings) throws IOException {
        LanguageModel lm = LanguageModel.load(TinyModel.write(dir));
        try {
            return new TinyServer(lm, OpenAiServer.start(lm, settings.apply(ServeConfig.loopback("tiny")),
                    new ChatTemplate.Default()));
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    /** A path under /v1, e.g. {@code uri("/completions")}. */
    URI uri(String path) {
        return URI.create(server.baseUri() + path);
    }

    /** A path from the root, e.g. {@code root("/metrics")}. */
    URI root(String path) {
        return server.baseUri().resolve(path);
    }

    int port() {
        return server.address().getPort();
    }

    @Override
    public void close() {
        server.close();
        lm.close();
    }
}
