package org.miniups.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.Map;
import org.apache.pekko.http.javadsl.marshallers.jackson.Jackson;
import org.apache.pekko.http.javadsl.marshalling.Marshaller;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RequestEntity;
import org.apache.pekko.http.javadsl.model.StatusCode;

/** JSON in and out of the API: one mapper, strict parsing of request bodies into clear 400s. */
public final class Json {
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .setSerializationInclusion(JsonInclude.Include.ALWAYS);

  private Json() {}

  public static <T> Marshaller<T, RequestEntity> marshaller() {
    return Jackson.marshaller(MAPPER);
  }

  public static HttpResponse error(StatusCode status, String message) {
    return response(status, Map.of("error", message));
  }

  public static HttpResponse response(StatusCode status, Object body) {
    try {
      return HttpResponse.create()
          .withStatus(status)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, MAPPER.writeValueAsBytes(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a request body that must be a JSON object. */
  public static JsonNode object(String body) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (StreamConstraintsException e) { // its message names Jackson's settings class
      throw ApiError.badRequest("the body is not valid JSON for us (nested too deeply, or a number too long)");
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("the body is not valid JSON (" + e.getOriginalMessage() + ")");
    }
    if (node == null || !node.isObject()) throw ApiError.badRequest("the body must be a JSON object");
    return node;
  }

  public static String requiredText(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) throw ApiError.badRequest("\"" + field + "\" is required");
    if (!value.isTextual()) throw ApiError.badRequest("\"" + field + "\" must be a string");
    return storable(field, value.textValue());
  }

  public static String optionalText(JsonNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) return null;
    if (!value.isTextual()) throw ApiError.badRequest("\"" + field + "\" must be a string");
    return storable(field, value.textValue());
  }

  /**
   * JSON may escape a NUL or half a surrogate pair; PostgreSQL cannot store the first (a 503),
   * and the second has no UTF-8 form (the driver would store '?'): both are a 400 instead.
   */
  private static String storable(String field, String text) {
    if (text.codePoints().anyMatch(c -> c == 0 || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE))) {
      throw ApiError.badRequest("\"" + field + "\" must not contain NUL characters or unpaired surrogates");
    }
    return text;
  }

  /** An integer in [min, max]; anything else (text, fractions, huge numbers) is a clear 400. */
  public static int requiredInt(JsonNode body, String field, int min, int max) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) throw ApiError.badRequest("\"" + field + "\" is required");
    if (!value.isIntegralNumber() || !value.canConvertToLong()
        || value.longValue() < min || value.longValue() > max) {
      throw ApiError.badRequest("\"" + field + "\" must be a whole number from " + min + " to " + max);
    }
    return value.intValue();
  }
}
