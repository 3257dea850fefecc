package dev.tessera.schedule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraUserError;
import java.util.List;

/** Writes a schedule trace as JSON (an array of step objects tagged by "step") and reads it back. */
public final class TraceJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private TraceJson() {}

    public static String write(List<Step> trace) {
        try {
            return MAPPER.writerFor(new TypeReference<List<Step>>() {}).writeValueAsString(trace);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize trace", e);
        }
    }

    public static List<Step> read(String json) {
        try {
            return MAPPER.readValue(json, new TypeReference<List<Step>>() {});
        } catch (JsonProcessingException e) {
            throw new TesseraUserError("not a valid schedule trace: " + e.getOriginalMessage(), e);
        }
    }

    public static ObjectMapper mapper() { return MAPPER; }
}
