package org.miniups.sim.world;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A deliberately plain client of the simulator: java.net.Socket and protobuf-java's own delimited
 * framing, so the server's framing is checked by an independent implementation. A reader thread
 * turns the socket into a queue; the test thread waits on it with a deadline.
 *
 * @param <R> the world's response type on this link
 */
abstract class BlockingPeer<R extends Message> implements AutoCloseable {

  static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final Object CLOSED = new Object();

  private final Socket socket;
  private final OutputStream out;
  private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final Map<Long, Integer> timesReceived = new HashMap<>();
  private final List<Long> acksReceived = new ArrayList<>();
  private Message connected;
  private boolean closed;
  private boolean finishedReceived;
  /** When false, world items are not acked, so the world keeps re-sending them. */
  boolean autoAck = true;

  BlockingPeer(int port, MessageLite connect, Parser<? extends Message> connectedParser,
      Parser<R> responseParser) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setTcpNoDelay(true);
    out = socket.getOutputStream();
    InputStream in = socket.getInputStream();
    Thread reader = new Thread(() -> {
      try {
        Message first = connectedParser.parseDelimitedFrom(in);
        if (first != null) {
          inbox.add(first);
          for (R response; (response = responseParser.parseDelimitedFrom(in)) != null; ) {
            inbox.add(response);
          }
        }
      } catch (IOException e) {
        // A reset connection is a closed connection for the tests.
      }
      inbox.add(CLOSED);
    }, "test-peer-reader");
    reader.setDaemon(true);
    reader.start();
    send(connect);
    Object first = poll(TIMEOUT.toMillis());
    if (first == null) fail("no connect answer within " + TIMEOUT);
    if (first == CLOSED) fail("connection closed before the connect answer");
    connected = (Message) first;
  }

  /** The UConnected / AConnected answer. */
  Message connectedMessage() {
    return connected;
  }

  synchronized void send(MessageLite message) {
    try {
      message.writeDelimitedTo(out);
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException("send failed", e);
    }
  }

  /** A lost ack is harmless (the world re-sends), e.g. after a response that said finished. */
  private synchronized void ackIfStillOpen(MessageLite acks) {
    try {
      acks.writeDelimitedTo(out);
      out.flush();
    } catch (IOException e) {
      // The world closed the connection first.
    }
  }

  /** Writes bytes as they are, for framing abuse. */
  void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads responses until {@code condition} holds; fails after {@link #TIMEOUT} or on close. */
  void awaitUntil(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (closed) fail("connection closed while waiting for " + what);
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) fail("timed out waiting for " + what);
      handle(poll(left));
    }
  }

  /** Reads whatever arrives within {@code millis}, then returns. */
  void readFor(long millis) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    long left;
    while (!closed && (left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0) {
      handle(poll(left));
    }
  }

  void awaitClosed() {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (!closed) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) fail("connection still open after " + TIMEOUT);
      handle(poll(left));
    }
  }

  boolean isClosed() {
    return closed;
  }

  boolean finishedReceived() {
    return finishedReceived;
  }

  /** How often the world acked this request seqnum so far. */
  long ackCount(long seqnum) {
    return acksReceived.stream().filter(a -> a == seqnum).count();
  }

  boolean acked(long seqnum) {
    return ackCount(seqnum) > 0;
  }

  /** How often the world item with this world seqnum arrived (re-sends included). */
  int timesReceived(long worldSeqnum) {
    return timesReceived.getOrDefault(worldSeqnum, 0);
  }

  /** Distinct world items received so far. */
  int distinctItems() {
    return timesReceived.size();
  }

  private Object poll(long millis) {
    try {
      return inbox.poll(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private void handle(Object next) {
    if (next == null) return;
    if (next == CLOSED) {
      closed = true;
      return;
    }
    R response = (R) next;
    acksReceived.addAll(acks(response));
    finishedReceived |= finished(response);
    List<Long> items = new ArrayList<>();
    for (Item item : items(response)) {
      items.add(item.worldSeqnum());
      if (timesReceived.merge(item.worldSeqnum(), 1, Integer::sum) == 1) item.record().run();
    }
    if (autoAck && !items.isEmpty() && !closed) ackIfStillOpen(ackMessage(items));
  }

  /** A world item of a response: its seqnum, and how to record it the first time it arrives. */
  record Item(long worldSeqnum, Runnable record) {}

  abstract List<Long> acks(R response);

  abstract boolean finished(R response);

  abstract List<Item> items(R response);

  abstract MessageLite ackMessage(List<Long> worldSeqnums);

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
