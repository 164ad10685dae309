package org.miniups.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live-updates benchmark's client ({@code bench/live-updates.sh}, BENCHMARKS.md "Tracking at
 * scale"): opens one Server-Sent Events stream ({@code GET /api/packages/{n}/events}) per package
 * the demo account owns, as soon as {@code GET /api/me/packages} lists it, up to {@code --streams},
 * and for every event that brings a history entry the stream had not shown yet, records the delay
 * from that entry's {@code at} (the server's clock; the same machine) to the moment the event's
 * data line arrived. Events that only move the truck (no new history entry) are counted, not timed;
 * the first event of a stream (the view as it stood when the stream opened) is not timed either.
 * It ends when every stream has shown "delivered", when nothing arrived for {@code --quiet-seconds},
 * or after {@code --timeout-seconds}, and writes a JSON summary to {@code --out}.
 *
 * <p>Only the public HTTP API is used (Java's HTTP client, HTTP/1.1: one connection per stream),
 * so the same client measures the read side before and after it is rewritten.
 *
 * <p>Arguments: {@code --base http://127.0.0.1:PORT --streams 1000 --timeout-seconds 600
 * --quiet-seconds 60 --out result.json}.
 */
public final class LiveUpdatesBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DELIVERED = "delivered";

  private final URI base;
  private final int target;
  private final HttpClient client;
  private final Map<String, Stream> streams = new ConcurrentHashMap<>();
  private final List<Long> delays = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, List<Long>> delaysByStatus = new ConcurrentHashMap<>();
  private final AtomicInteger connected = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger positionEvents = new AtomicInteger();
  private final AtomicInteger timedEvents = new AtomicInteger();
  private final AtomicInteger events = new AtomicInteger();
  private final AtomicInteger sawDeliveredLive = new AtomicInteger();
  private final AtomicInteger deliveredAtOpen = new AtomicInteger();
  private final AtomicLong lastEventNanos = new AtomicLong(System.nanoTime());
  private final Map<String, AtomicInteger> statusAtOpen = new ConcurrentHashMap<>();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private String token;

  private LiveUpdatesBench(URI base, int target, ExecutorService executor) {
    this.base = base;
    this.target = target;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .executor(executor)
        .build();
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) options.put(args[i], args[i + 1]);
    URI base = URI.create(options.getOrDefault("--base", "http://127.0.0.1:18080"));
    int target = Integer.parseInt(options.getOrDefault("--streams", "1000"));
    Duration timeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("--timeout-seconds", "600")));
    Duration quiet = Duration.ofSeconds(Long.parseLong(options.getOrDefault("--quiet-seconds", "60")));
    Path out = Path.of(options.getOrDefault("--out", "target/bench/live-updates.json"));
    ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "sse-client");
      thread.setDaemon(true);
      return thread;
    });
    LiveUpdatesBench bench = new LiveUpdatesBench(base, target, executor);
    Map<String, Object> result = bench.run(timeout, quiet);
    Files.createDirectories(out.toAbsolutePath().getParent());
    JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), result);
    System.out.println(JSON.writeValueAsString(result.get("summary")));
    System.exit(0); // the open streams end with the JVM
  }

  private Map<String, Object> run(Duration timeout, Duration quiet) throws Exception {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    token = login(deadline);
    Set<String> seen = new HashSet<>();
    long lastNew = System.nanoTime();
    long allOpenNanos = 0;
    long total = -1;
    // Open streams as packages appear (newest first: page on until a page holds a known one).
    while (System.nanoTime() < deadline) {
      boolean grew = false;
      for (int page = 0; streams.size() < target; page++) {
        JsonNode answer = get("/api/me/packages?page=" + page + "&size=100");
        total = answer.path("total").asLong();
        boolean anyKnown = false;
        List<String> fresh = new ArrayList<>();
        for (JsonNode item : answer.path("items")) {
          String number = item.path("trackingNumber").asText();
          if (seen.add(number)) fresh.add(number);
          else anyKnown = true;
        }
        Collections.reverse(fresh); // oldest first
        for (String number : fresh) {
          if (streams.size() >= target) break;
          open(number);
          grew = true;
        }
        if (anyKnown || answer.path("items").size() < 100) break;
      }
      if (grew) lastNew = System.nanoTime();
      if (streams.size() >= target) {
        allOpenNanos = System.nanoTime() - start;
        break;
      }
      if (System.nanoTime() - lastNew > quiet.toNanos()) break; // no more packages come
      Thread.sleep(200);
    }
    System.out.printf("%d streams opened in %.1f s (%d packages owned by the demo account so far)%n",
        streams.size(), (System.nanoTime() - start) / 1e9, total);
    // Wait for every stream to show "delivered", or for silence, or the deadline.
    long lastReport = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long done = streams.values().stream().filter(s -> s.delivered).count();
      if (done == streams.size()) break;
      if (System.nanoTime() - lastEventNanos.get() > quiet.toNanos()) break;
      if (System.nanoTime() - lastReport > 10_000_000_000L) {
        lastReport = System.nanoTime();
        System.out.printf("  %d of %d streams delivered, %d events, %d timed%n", done, streams.size(), events.get(), timedEvents.get());
      }
      Thread.sleep(200);
    }
    return result(start, allOpenNanos);
  }

  private String login(long deadline) throws Exception {
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> response = client.send(
            HttpRequest.newBuilder(base.resolve("/api/sessions"))
                .header("Content-Type", "application/json")
                .header("X-Requested-With", "mini-ups") // the CSRF guard of cookie-session writes
                .POST(HttpRequest.BodyPublishers.ofString("{\"username\":\"demo\",\"password\":\"demo-password\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) return JSON.readTree(response.body()).path("token").asText();
        last = "HTTP " + response.statusCode() + " " + response.body();
        // Before the demo account exists the login fails with 401; anything else will not mend.
        if (response.statusCode() != 401 && response.statusCode() != 429 && response.statusCode() != 503) break;
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(1000); // at most 5 failed logins a minute count before 429
    }
    throw new IllegalStateException("could not log in as demo: " + last);
  }

  private JsonNode get(String path) throws Exception {
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
    return JSON.readTree(response.body());
  }

  private void open(String number) {
    Stream stream = new Stream(number);
    streams.put(number, stream);
    HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/packages/" + number + "/events"))
        .header("Accept", "text/event-stream")
        .GET()
        .build();
    client.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(stream))
        .whenComplete((response, failure) -> {
          if (failure != null) fail(number, failure.toString());
          else if (response.statusCode() != 200) fail(number, "HTTP " + response.statusCode());
          else if (!stream.delivered) fail(number, "the stream ended before \"delivered\"");
        });
  }

  private void fail(String number, String why) {
    failed.incrementAndGet();
    if (failures.size() < 20) failures.add(number + ": " + why);
  }

  /** One stream: SSE lines in, events out (a data line, then a blank line). */
  private final class Stream implements Flow.Subscriber<String> {
    private final String number;
    private final StringBuilder data = new StringBuilder();
    private long receivedMillis;
    private int historySize = -1; // -1: no event yet
    volatile boolean delivered;

    Stream(String number) {
      this.number = number;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      connected.incrementAndGet();
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      if (line.startsWith("data:")) {
        if (data.length() == 0) receivedMillis = System.currentTimeMillis();
        data.append(line, line.startsWith("data: ") ? 6 : 5, line.length());
      } else if (line.isEmpty() && data.length() > 0) {
        String event = data.toString();
        data.setLength(0);
        handle(event, receivedMillis);
      }
    }

    private void handle(String event, long receivedAt) {
      lastEventNanos.set(System.nanoTime());
      events.incrementAndGet();
      JsonNode view;
      try {
        view = JSON.readTree(event);
      } catch (IOException e) {
        fail(number, "not JSON: " + e.getMessage());
        return;
      }
      JsonNode history = view.path("history");
      String status = view.path("status").asText();
      if (historySize < 0) {
        statusAtOpen.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        if (DELIVERED.equals(status)) {
          deliveredAtOpen.incrementAndGet();
          delivered = true;
        }
      } else if (history.size() > historySize) {
        JsonNode newest = history.get(history.size() - 1);
        long delay = receivedAt - Instant.parse(newest.path("at").asText()).toEpochMilli();
        delays.add(delay);
        delaysByStatus.computeIfAbsent(newest.path("status").asText(), s -> Collections.synchronizedList(new ArrayList<>())).add(delay);
        timedEvents.incrementAndGet();
        if (DELIVERED.equals(status) && !delivered) {
          delivered = true;
          sawDeliveredLive.incrementAndGet();
        }
      } else {
        positionEvents.incrementAndGet();
      }
      historySize = history.size();
    }

    @Override
    public void onError(Throwable throwable) {
      // reported by open()'s completion
    }

    @Override
    public void onComplete() {}
  }

  private Map<String, Object> result(long start, long allOpenNanos) {
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("streamsTarget", target);
    summary.put("streamsOpened", streams.size());
    summary.put("streamsConnected", connected.get());
    summary.put("streamsFailed", failed.get());
    summary.put("streamsSawDeliveredLive", sawDeliveredLive.get());
    summary.put("streamsDeliveredAtOpen", deliveredAtOpen.get());
    summary.put("streamsWithoutDelivered", streams.values().stream().filter(s -> !s.delivered).count());
    summary.put("events", events.get());
    summary.put("timedEvents", timedEvents.get());
    summary.put("positionEvents", positionEvents.get());
    summary.put("delayMillis", percentiles(delays));
    summary.put("secondsToOpenAll", allOpenNanos == 0 ? null : allOpenNanos / 1e9);
    summary.put("wallSeconds", (System.nanoTime() - start) / 1e9);
    Map<String, Object> byStatus = new TreeMap<>();
    delaysByStatus.forEach((status, list) -> byStatus.put(status, percentiles(list)));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("summary", summary);
    out.put("delayMillisByStatus", byStatus);
    Map<String, Integer> atOpen = new TreeMap<>();
    statusAtOpen.forEach((status, count) -> atOpen.put(status, count.get()));
    out.put("statusWhenOpened", atOpen);
    out.put("failures", List.copyOf(failures));
    return out;
  }

  private static Map<String, Object> percentiles(List<Long> values) {
    List<Long> sorted;
    synchronized (values) {
      sorted = new ArrayList<>(values);
    }
    Collections.sort(sorted);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("count", sorted.size());
    if (sorted.isEmpty()) return out;
    out.put("p50", at(sorted, 0.50));
    out.put("p90", at(sorted, 0.90));
    out.put("p99", at(sorted, 0.99));
    out.put("max", sorted.get(sorted.size() - 1));
    out.put("min", sorted.get(0));
    return out;
  }

  private static long at(List<Long> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
  }
}
