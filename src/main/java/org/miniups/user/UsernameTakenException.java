package org.miniups.user;

/** Someone already has this username (compared case-insensitively). */
public final class UsernameTakenException extends RuntimeException {
  public UsernameTakenException(String username) {
    super("username " + username + " is already taken");
  }
}
