package org.distill4j.arch;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.List;

/**
 * The packages form layers, each using only those below it (docs/ARCHITECTURE.md, "Layers"): a back edge fails
 * here, naming the classes on both ends.
 */
@AnalyzeClasses(packages = "org.distill4j", importOptions = ImportOption.DoNotIncludeTests.class)
class LayersTest {
    /** Bottom to top; the order of docs/ARCHITECTURE.md. */
    static final List<String> LAYERS = List.of("util", "lm", "generate", "loss", "data", "train", "openai", "eval", "teacher", "gad",
            "report", "experiment", "serve", "bench", "cli");

    @ArchTest
    static final ArchRule EACH_LAYER_USES_ONLY_THOSE_BELOW = layers();

    /**
     * Library code logs through slf4j and leaves the terminal to the CLI: only the CLI, the progress bar and the lab
     * worker's own protocol (its stdin/stdout are the lab's pipe) touch the standard streams.
     */
    @ArchTest
    static final ArchRule LIBRARY_CODE_DOES_NOT_PRINT = com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
            .that().resideOutsideOfPackage("org.distill4j.cli..")
            .and().doNotHaveFullyQualifiedName("org.distill4j.util.Progress")
            .and().doNotHaveFullyQualifiedName("org.distill4j.experiment.LabWorker")
            .should(com.tngtech.archunit.library.GeneralCodingRules.ACCESS_STANDARD_STREAMS);

    private static ArchRule layers() {
        LayeredArchitecture rule = layeredArchitecture().consideringOnlyDependenciesInLayers().withOptionalLayers(true);
        for (String layer : LAYERS) {
            rule = rule.layer(layer).definedBy("org.distill4j." + layer + "..");
        }
        for (int i = 0; i < LAYERS.size(); i++) {
            List<String> above = LAYERS.subList(i + 1, LAYERS.size());
            rule = above.isEmpty() ? rule.whereLayer(LAYERS.get(i)).mayNotBeAccessedByAnyLayer()
                    : rule.whereLayer(LAYERS.get(i)).mayOnlyBeAccessedByLayers(above.toArray(String[]::new));
        }
        return rule;
    }
}
