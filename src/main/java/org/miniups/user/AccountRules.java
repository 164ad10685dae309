package org.miniups.user;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** What a valid account looks like, and the canonical form of its fields. */
final class AccountRules {
  private AccountRules() {}

  static final int MAX_USERNAME = 32;
  static final int MIN_PASSWORD = 8;
  static final int MAX_PASSWORD = 128;
  static final int MAX_EMAIL = 254;

  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.-]{3," + MAX_USERNAME + "}");
  // Deliberately loose: the only real check of an address is sending mail to it.
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s.]+");

  /** Usernames are case-insensitive: stored and looked up in lower case. */
  static String username(String raw) {
    return raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT);
  }

  /** Blank means none. */
  static String email(String raw) {
    return raw == null || raw.isBlank() ? null : raw.trim();
  }

  /** A message for the person registering, or empty when every field is acceptable. */
  static Optional<String> problem(String username, String password, String email) {
    if (!USERNAME.matcher(username(username)).matches()) return Optional.of(USERNAME_RULE);
    if (!passwordLengthOk(password)) return Optional.of(PASSWORD_RULE);
    return profileProblem(username, email);
  }

  static final String USERNAME_RULE = "username must be 3 to 32 characters: letters, digits, '_', '.' or '-'";
  static final String PASSWORD_RULE = "password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters";

  /** The rules of the fields besides the password. */
  static Optional<String> profileProblem(String username, String email) {
    if (!USERNAME.matcher(username(username)).matches()) return Optional.of(USERNAME_RULE);
    String mail = email(email);
    if (mail != null && mail.length() > MAX_EMAIL)
      return Optional.of("email must be at most " + MAX_EMAIL + " characters");
    if (mail != null && !EMAIL.matcher(mail).matches())
      return Optional.of("email must look like name@example.com");
    return Optional.empty();
  }

  static boolean passwordTooLong(String password) {
    return password != null && password.codePointCount(0, password.length()) > MAX_PASSWORD;
  }

  static boolean passwordLengthOk(String password) {
    if (password == null) return false;
    int length = password.codePointCount(0, password.length());
    return length >= MIN_PASSWORD && length <= MAX_PASSWORD;
  }
}
