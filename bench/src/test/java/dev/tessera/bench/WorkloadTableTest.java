package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;

class WorkloadTableTest {
    @Test void builtInTableHoldsTheWorkloadsOfBenchmarksMd() {
        WorkloadTable t = WorkloadTable.builtIn();
        List<String> ids = t.workloads().stream().map(Workload::id).toList();
        assertEquals(List.of("gemm-1024", "gemm-2048", "gemm-awkward", "conv-56", "conv-28", "conv-14", "conv-7",
                "conv-56-direct", "conv-28-direct", "conv-14-direct", "conv-7-direct",
                "conv-56-winograd", "conv-28-winograd", "conv-14-winograd", "conv-7-winograd", "conv-56-winograd-f4", "conv-28-winograd-f4",
                "softmax", "layernorm",
                "caps-route", "caps-conv-n1-s2", "caps-conv-n1-s1", "caps-conv-n16-s2", "caps-conv-n16-s1"), ids);
        Workload gemm = t.select("gemm-awkward").get(0);
        assertEquals("matmul", gemm.operator());
        assertEquals("1000,999,1001", gemm.shape());
        assertEquals(List.of("openblas", "pytorch", "halide"), gemm.peers());
        assertEquals(Workload.Bound.MEMORY, t.select("softmax").get(0).bound());
        assertEquals("128,1152,10,8,16,3", t.select("caps-route").get(0).shape());
        assertEquals("conv2d_winograd[output_tile=4]", t.select("conv-28-winograd-f4").get(0).operator());
        // conv-N is conv2d as tessera bench runs it (Winograd where its records are faster); conv-N-direct pins the direct algorithm.
        assertTrue(t.select("conv-56").get(0).alternatives());
        Workload direct = t.select("conv-56-direct").get(0);
        assertEquals("conv2d", direct.operator());
        assertEquals(t.select("conv-56").get(0).shape(), direct.shape());
        assertEquals(false, direct.alternatives());
    }

    @Test void jmhParametersListEveryWorkloadOfTheTable() throws Exception {
        Param p = OperatorBenchmark.class.getField("workload").getAnnotation(Param.class);
        assertEquals(WorkloadTable.builtIn().workloads().stream().map(Workload::id).toList(), List.of(p.value()));
    }

    @Test void parsesATableAndFillsDefaults() {
        WorkloadTable t = WorkloadTable.parse("""
                {"workloads": [
                  {"id": "a", "kind": "gemm", "operator": "matmul", "shape": " 8, 9 ,10 ", "peers": ["pytorch"]},
                  {"id": "b", "kind": "softmax", "operator": "softmax", "shape": "4,16", "bound": "MEMORY", "label": "tiny"}
                ]}""");
        Workload a = t.workloads().get(0), b = t.workloads().get(1);
        assertEquals("8,9,10", a.shape());
        assertEquals("8,9,10", a.label());
        assertEquals(Workload.Bound.COMPUTE, a.bound());
        assertEquals(List.of("pytorch"), a.peers());
        assertEquals(Workload.Bound.MEMORY, b.bound());
        assertEquals("tiny", b.label());
        assertEquals(List.of(), b.peers());
        assertTrue(a.alternatives(), "alternatives default to true, as in tessera bench");
        assertEquals(false, WorkloadTable.parse("""
                {"workloads": [{"id": "c", "kind": "conv", "operator": "conv2d", "shape": "1,8,6,6,8,3,3,1,1", "alternatives": false}]}""")
                .workloads().get(0).alternatives());
    }

    @Test void malformedTablesNameTheEntryAndTheField() {
        assertMessage("not valid JSON", "{\"workloads\": [");
        assertMessage("needs a \"workloads\" array", "{\"rows\": []}");
        assertMessage("workload #0: missing field \"id\"", "{\"workloads\": [{\"kind\": \"gemm\"}]}");
        assertMessage("workload x: missing field \"operator\"", "{\"workloads\": [{\"id\": \"x\", \"kind\": \"gemm\", \"shape\": \"1\"}]}");
        assertMessage("shape '8;8' is not a comma-separated list of integers",
                "{\"workloads\": [{\"id\": \"x\", \"kind\": \"gemm\", \"operator\": \"matmul\", \"shape\": \"8;8\"}]}");
        assertMessage("bound 'cache' is neither compute nor memory",
                "{\"workloads\": [{\"id\": \"x\", \"kind\": \"gemm\", \"operator\": \"matmul\", \"shape\": \"8\", \"bound\": \"cache\"}]}");
        assertMessage("unknown peer 'mkl'; known peers: openblas, cublas, pytorch, halide",
                "{\"workloads\": [{\"id\": \"x\", \"kind\": \"gemm\", \"operator\": \"matmul\", \"shape\": \"8\", \"peers\": [\"mkl\"]}]}");
        assertMessage("workload x: \"alternatives\" must be true or false",
                "{\"workloads\": [{\"id\": \"x\", \"kind\": \"gemm\", \"operator\": \"matmul\", \"shape\": \"8\", \"alternatives\": \"no\"}]}");
        assertMessage("workload id 'x' appears twice",
                "{\"workloads\": [{\"id\": \"x\", \"kind\": \"k\", \"operator\": \"o\", \"shape\": \"1\"}, {\"id\": \"x\", \"kind\": \"k\", \"operator\": \"o\", \"shape\": \"2\"}]}");
    }

    @Test void selectsByIdOrOperatorAndShape() {
        WorkloadTable t = WorkloadTable.builtIn();
        List<Workload> s = t.select("softmax, matmul:64,32,16,conv-7,add:8x8");
        assertEquals(List.of("softmax", "matmul:64,32,16", "conv-7", "add:8x8"), s.stream().map(Workload::id).toList());
        assertEquals("matmul", s.get(1).operator());
        assertEquals("64,32,16", s.get(1).shape());
        assertEquals("8,8", s.get(3).shape());
        assertTrue(s.get(1).peers().isEmpty());
        assertEquals(t.workloads(), t.select(""));
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> t.select("gemm-4096"));
        assertTrue(e.getMessage().contains("unknown workload 'gemm-4096'; known: gemm-1024"), e.getMessage());
    }

    private static void assertMessage(String part, String json) {
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> WorkloadTable.parse(json));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
