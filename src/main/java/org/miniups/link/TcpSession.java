package org.miniups.link;

import com.google.protobuf.MessageLite;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;

/**
 * One client TCP connection as a Pekko stream, owned by one actor: frames arrive at the owner as
 * messages, and so does the end of the connection. Nothing but the owner writes to it.
 */
public final class TcpSession {
  private static final int OUTGOING_BUFFER = 1024;

  /** Turns stream events into the owner's messages. */
  public interface Events<T> {
    T frame(ByteString body);

    /** The connection ended: {@code failure} is empty when it closed cleanly. */
    T closed(Optional<Throwable> failure);
  }

  private final BoundedSourceQueue<ByteString> outgoing;
  private final UniqueKillSwitch killSwitch;
  private final CompletionStage<Tcp.OutgoingConnection> connected;

  private TcpSession(
      BoundedSourceQueue<ByteString> outgoing,
      UniqueKillSwitch killSwitch,
      CompletionStage<Tcp.OutgoingConnection> connected) {
    this.outgoing = outgoing;
    this.killSwitch = killSwitch;
    this.connected = connected;
  }

  public static <T> TcpSession open(
      ActorSystem<?> system,
      String host,
      int port,
      int maxFrameBytes,
      Duration frameReadTimeout,
      Duration connectTimeout,
      ActorRef<T> owner,
      Events<T> events) {
    var tcp =
        Tcp.get(system)
            .outgoingConnection(
                InetSocketAddress.createUnresolved(host, port),
                Optional.empty(),
                List.of(),
                true,
                Optional.of(connectTimeout),
                Optional.empty());
    Pair<Pair<Pair<BoundedSourceQueue<ByteString>, CompletionStage<Tcp.OutgoingConnection>>, UniqueKillSwitch>, CompletionStage<Done>> materialized =
        Source.<ByteString>queue(OUTGOING_BUFFER)
            .viaMat(tcp, Keep.both())
            .via(VarintFraming.decoder(maxFrameBytes, frameReadTimeout))
            .viaMat(KillSwitches.single(), Keep.both())
            .toMat(Sink.foreach(body -> owner.tell(events.frame(body))), Keep.both())
            .run(system);
    materialized
        .second()
        .whenComplete(
            (done, failure) -> owner.tell(events.closed(Optional.ofNullable(failure))));
    return new TcpSession(
        materialized.first().first().first(),
        materialized.first().second(),
        materialized.first().first().second());
  }

  /** Completes when the TCP handshake succeeded, fails when the peer is unreachable. */
  public CompletionStage<Tcp.OutgoingConnection> connected() {
    return connected;
  }

  /** Queues one message; false when it could not be queued (the link re-sends what matters). */
  public boolean send(MessageLite message) {
    return outgoing.offer(VarintFraming.encode(message)) == QueueOfferResult.enqueued();
  }

  /** Drops the connection, e.g. after a protocol error. Safe to call on a connection that ended. */
  public void abort(Throwable reason) {
    killSwitch.abort(reason);
    try {
      outgoing.fail(reason);
    } catch (IllegalStateException alreadyEnded) {
      // the connection ended first (the check-then-act of isCompleted would race with it)
    }
  }

  /** Sends what is queued, then closes the write side; the read side stays open. */
  public void finishWriting() {
    try {
      outgoing.complete();
    } catch (IllegalStateException alreadyEnded) {
      // the connection ended first (the check-then-act of isCompleted would race with it)
    }
  }

  /** Closes the connection. Safe to call on a connection that already ended. */
  public void close() {
    finishWriting();
    killSwitch.shutdown();
  }
}
