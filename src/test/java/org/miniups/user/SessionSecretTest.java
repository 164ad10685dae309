package org.miniups.user;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SessionSecretTest {
  @Test
  void aMissingShortOrPublishedSecretIsRefusedByName() {
    for (String weak : new String[] {null, "", "   ", "x".repeat(31), "é".repeat(15), "change-this-cluster-secret", " same-on-every-node "}) {
      Optional<String> problem = SessionSecret.problem(weak);
      assertTrue(problem.isPresent() && problem.get().startsWith("SESSION_SECRET "), weak + ": " + problem);
    }
    assertEquals(Optional.of("SESSION_SECRET must be at least 32 bytes (generate one with: openssl rand -base64 48; give every node the same)"),
        SessionSecret.problem("x".repeat(31)));
  }

  @Test
  void thirtyTwoBytesOfAnythingUnpublishedWill() {
    assertEquals(Optional.empty(), SessionSecret.problem("x".repeat(32)));
    assertEquals(Optional.empty(), SessionSecret.problem("é".repeat(16)), "bytes, not characters");
  }
}
