package dev.tessera.autotune;

import java.util.List;
import java.util.Properties;
import smile.data.DataFrame;
import smile.data.Tuple;
import smile.data.formula.Formula;
import smile.data.vector.DoubleVector;
import smile.regression.GradientTreeBoost;

/**
 * A learned estimate of a candidate's speed: gradient-boosted regression trees (Smile's
 * {@link GradientTreeBoost}) from {@link ProgramFeatures} to log throughput (minus log median time),
 * retrained from all measurements so far. Failed candidates train as slower than the slowest success.
 */
final class CostModel {
    private final GradientTreeBoost model;
    private final smile.data.type.StructType schema;

    private CostModel(GradientTreeBoost model, smile.data.type.StructType schema) {
        this.model = model;
        this.schema = schema;
    }

    /** A model from feature rows and scores (higher is faster); needs at least a handful of rows. */
    static CostModel train(List<double[]> features, List<Double> scores) {
        int n = features.size(), d = features.get(0).length;
        double[][] x = features.toArray(double[][]::new);
        String[] names = new String[d];
        for (int i = 0; i < d; i++) names[i] = "f" + i;
        double[] y = scores.stream().mapToDouble(Double::doubleValue).toArray();
        DataFrame df = DataFrame.of(x, names).merge(DoubleVector.of("score", y));
        Properties p = new Properties();
        p.setProperty("smile.gbt.trees", "60");
        p.setProperty("smile.gbt.max_depth", "4");
        p.setProperty("smile.gbt.node_size", String.valueOf(Math.max(2, Math.min(5, n / 4))));
        p.setProperty("smile.gbt.shrinkage", "0.1");
        p.setProperty("smile.gbt.sample_rate", "1.0");
        GradientTreeBoost m = GradientTreeBoost.fit(Formula.lhs("score"), df, p);
        return new CostModel(m, DataFrame.of(x, names).schema());
    }

    double predict(double[] features) { return model.predict(Tuple.of(features, schema)); }
}
