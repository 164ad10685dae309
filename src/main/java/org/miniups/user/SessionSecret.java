package org.miniups.user;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code serve} accepts as SESSION_SECRET: whoever knows it can sign a session for any
 * account, so it must be long and must not be a value anyone can read in this repository.
 */
public final class SessionSecret {
  private SessionSecret() {}

  public static final int MIN_BYTES = 32;

  /** Values this repository has shipped as defaults or examples (DeploymentFilesTest keeps it complete). */
  private static final Set<String> SHIPPED = Set.of("change-this-cluster-secret", "same-on-every-node");

  /** One line for the operator, or empty when {@code secret} will do. */
  public static Optional<String> problem(String secret) {
    String advice = " (generate one with: openssl rand -base64 48; give every node the same)";
    if (secret == null || secret.isBlank()) return Optional.of("SESSION_SECRET is not set" + advice);
    if (SHIPPED.contains(secret.trim())) return Optional.of("SESSION_SECRET is a value published in the mini-UPS repository" + advice);
    if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_BYTES)
      return Optional.of("SESSION_SECRET must be at least " + MIN_BYTES + " bytes" + advice);
    return Optional.empty();
  }
}
