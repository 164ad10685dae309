package org.miniups.http;

import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** A request we refuse, with the status and the message people read. Thrown inside routes. */
public final class ApiError extends RuntimeException {
  private final StatusCode status;

  public ApiError(StatusCode status, String message) {
    super(message, null, false, false); // no stack trace: this is an answer, not a bug
    this.status = status;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(StatusCodes.BAD_REQUEST, message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(StatusCodes.NOT_FOUND, message);
  }

  public StatusCode status() {
    return status;
  }
}
