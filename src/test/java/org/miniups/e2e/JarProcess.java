package org.miniups.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One command of the real jar ({@code serve}, {@code world}, {@code amazon}, {@code demo}) as its
 * own JVM in its own working directory, with its output in a log file under {@code
 * target/processes}: what operators run, and what a crash test kills.
 */
public final class JarProcess implements AutoCloseable {
  private static final Path LOG_DIR = Path.of("target", "processes");

  private final String name;
  private final Process process;
  private final Path log;

  private JarProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code java -jar mini-ups.jar args…} with these environment variables added.
   *
   * @param name names the log file; a restarted process takes a new name (its log is new too)
   */
  /** One generated secret for every process of this test run, so the nodes of a cluster sign alike. */
  public static final String SESSION_SECRET = generatedSecret();

  private static String generatedSecret() {
    byte[] bytes = new byte[48];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.Base64.getEncoder().encodeToString(bytes);
  }

  public static JarProcess start(String name, Map<String, String> env, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + System.getProperty("miniups.process.heap", "512m"));
    command.add("-jar");
    command.add(Path.of(System.getProperty("miniups.jar", "target/mini-ups.jar")).toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("SESSION_SECRET", SESSION_SECRET); // serve needs one; env may say otherwise
    builder.environment().putAll(env);
    try {
      Path workDir = Files.createDirectories(LOG_DIR.resolve(name)); // its ./data is its own
      builder.directory(workDir.toFile());
      Path log = LOG_DIR.resolve(name + ".log");
      builder.redirectErrorStream(true).redirectOutput(log.toFile());
      return new JarProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name, e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  /** Everything it printed so far, line by line (stdout and stderr together). */
  public List<String> lines() {
    try {
      return Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until a line of its output matches; fails at once, with its last lines, if it exits first. */
  public String awaitLine(Predicate<String> wanted, Duration patience) {
    return await("a line of " + name + "'s output")
        .atMost(patience)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> matchingLineWhileAlive(wanted), Optional::isPresent)
        .orElseThrow();
  }

  private Optional<String> matchingLineWhileAlive(Predicate<String> wanted) {
    boolean exited = !process.isAlive(); // read before the output: a line written before exit is seen
    List<String> lines = lines();
    Optional<String> found = lines.stream().filter(wanted).findFirst();
    if (found.isEmpty() && exited) {
      throw new AssertionError(
          name + " exited with " + process.exitValue() + " before printing the line awaited; its last lines:\n"
              + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
    }
    return found;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM (what Ctrl-C and an orchestrator send): the JVM runs its shutdown hooks. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: no shutdown hooks, no goodbye to anyone. */
  public void kill() {
    process.destroyForcibly();
  }

  /** Its exit status, or an AssertionError if it is still running after {@code patience}. */
  public int awaitExit(Duration patience) {
    try {
      if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError(name + " still running after " + patience);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for " + name, e);
    }
  }

  /** Lines that an operator would read as a failure: ERROR log lines and stack trace lines. */
  public List<String> errorLines() {
    return lines().stream().filter(JarProcess::isErrorLine).toList();
  }

  static boolean isErrorLine(String line) {
    return line.contains(" ERROR ")
        || line.startsWith("\tat ")
        || line.startsWith("Caused by: ")
        || line.matches("^[\\w.$]+(Exception|Error)(: .*)?$");
  }

  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
