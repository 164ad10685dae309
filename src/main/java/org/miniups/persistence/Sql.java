package org.miniups.persistence;

import java.util.List;
import scala.Option;
import scala.concurrent.Future;
import slick.dbio.DBIOAction;
import slick.dbio.NoStream;
import slick.jdbc.JdbcBackend;

/** What our DAOs share: quoted names as the plugin's DDL spells them, and running plain JDBC on Slick. */
final class Sql {
  private Sql() {}

  static String table(Option<String> schema, String name) {
    return schema.isDefined() ? quote(schema.get()) + "." + quote(name) : quote(name);
  }

  static String quoted(List<String> names) {
    return String.join(", ", names.stream().map(Sql::quote).toList());
  }

  static String quote(String name) {
    return "\"" + name + "\"";
  }

  /**
   * Runs {@code action} on the plugin's database, on its threads and within its connection limit.
   * Scala's DBIOAction is contravariant in its effect type (run takes "any effect"), which Java
   * generics cannot express: the raw call is safe.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static <R> Future<R> run(JdbcBackend.JdbcDatabaseDef db, DBIOAction<R, NoStream, ?> action) {
    return (Future<R>) db.run((DBIOAction) action);
  }
}
