package org.miniups.shipment;

import java.security.SecureRandom;

/**
 * Tracking numbers: "1Z" and 16 characters of Crockford's base32 (no I, L, O, U), 80 random
 * bits: unique in practice and not guessable from a shipment id or a neighbour's number.
 */
public final class TrackingNumbers {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private TrackingNumbers() {}

  public static String next() {
    StringBuilder out = new StringBuilder("1Z");
    for (int i = 0; i < 16; i++) out.append(ALPHABET[RANDOM.nextInt(ALPHABET.length)]);
    return out.toString();
  }

  /** Whether {@code text} has the shape of one of our tracking numbers (case-insensitive). */
  public static boolean looksValid(String text) {
    if (text == null || text.length() != 18 || !text.regionMatches(true, 0, "1Z", 0, 2)) return false;
    for (char c : text.substring(2).toUpperCase().toCharArray()) {
      if (new String(ALPHABET).indexOf(c) < 0) return false;
    }
    return true;
  }
}
