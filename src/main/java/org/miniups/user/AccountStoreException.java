package org.miniups.user;

import java.sql.SQLException;

/** The account database failed (down, pool exhausted, ...); the request may work later. */
public final class AccountStoreException extends RuntimeException {
  public AccountStoreException(String operation, SQLException cause) {
    super(operation + " failed: " + cause.getMessage() + " (SQLState " + cause.getSQLState() + ")", cause);
  }
}
