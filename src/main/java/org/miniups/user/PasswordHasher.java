package org.miniups.user;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * bcrypt, the one costly thing anyone can make the node do without an account, on a small pool of
 * its own with a bounded queue: a flood of logins uses at most {@code threads} cores and is told
 * {@link Busy} (a 503) once the queue is full, while the rest of the node keeps answering. Callers
 * never hold a database connection while they wait for it. bcrypt reads only the first 72 bytes
 * of a password (truncated like every other bcrypt implementation, so the hashes stay portable).
 */
public final class PasswordHasher implements AutoCloseable {
  private static final BCrypt.Version VERSION = BCrypt.Version.VERSION_2A;

  /** The queue is full: try again in a moment. */
  public static final class Busy extends RuntimeException {
    Busy() {
      super("every password check is taken", null, false, false);
    }
  }

  private final int cost;
  private final ThreadPoolExecutor pool;
  private final BCrypt.Hasher hasher = BCrypt.with(VERSION, LongPasswordStrategies.truncate(VERSION));
  private final BCrypt.Verifyer verifyer = BCrypt.verifyer(VERSION, LongPasswordStrategies.truncate(VERSION));
  /** Checked against for unknown users, so "no such user" takes as long as "wrong password". */
  private final String decoyHash;

  /** {@code cost} 10 in production; tests use 4 (each step doubles the time). */
  public PasswordHasher(int cost, int threads, int queueSize) {
    this(cost, boundedPool(threads, queueSize));
  }

  PasswordHasher(int cost, ThreadPoolExecutor pool) {
    this.cost = cost;
    this.pool = pool;
    this.decoyHash = hasher.hashToString(cost, "not anyone's password".toCharArray());
  }

  private static ThreadPoolExecutor boundedPool(int threads, int queueSize) {
    if (threads < 1 || queueSize < 1) throw new IllegalArgumentException("bcrypt needs at least one thread and a queue of one");
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(
        threads, threads, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueSize),
        task -> {
          Thread thread = new Thread(task, "bcrypt-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        },
        new ThreadPoolExecutor.AbortPolicy());
  }

  /** The salted hash to store; fails with {@link Busy}. */
  public CompletableFuture<String> hash(String password) {
    return run(() -> hasher.hashToString(cost, password.toCharArray()));
  }

  /**
   * Whether {@code password} is the one {@code hashOrNull} was made from; a null hash (no such
   * user) costs one check against a decoy all the same. Fails with {@link Busy}.
   */
  public CompletableFuture<Boolean> matches(String password, String hashOrNull) {
    char[] secret = (password == null ? "" : password).toCharArray();
    return run(() -> {
      boolean ok = verifyer.verify(secret, hashOrNull == null ? decoyHash : hashOrNull).verified;
      return ok && hashOrNull != null;
    });
  }

  private <T> CompletableFuture<T> run(Supplier<T> work) {
    try {
      return CompletableFuture.supplyAsync(work, pool);
    } catch (RejectedExecutionException full) {
      return CompletableFuture.failedFuture(new Busy());
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
