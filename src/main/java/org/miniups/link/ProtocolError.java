package org.miniups.link;

/** A peer broke the wire protocol (oversized or malformed frame): the connection is dropped. */
public final class ProtocolError extends RuntimeException {
  public ProtocolError(String message) {
    super(message);
  }

  public ProtocolError(String message, Throwable cause) {
    super(message, cause);
  }
}
