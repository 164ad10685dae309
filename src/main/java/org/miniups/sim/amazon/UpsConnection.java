package org.miniups.sim.amazon;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.miniups.link.VarintFraming;
import org.miniups.proto.UpsAmazon.AUCommands;
import org.miniups.proto.UpsAmazon.UACommands;

/**
 * One accepted UPS connection, and its only writer: cuts the byte stream into frames, parses
 * them and hands them to its owner; writes what the owner sends. The connection's lifetime is
 * this actor's lifetime.
 */
final class UpsConnection extends AbstractBehavior<UpsConnection.Command> {

  sealed interface Command {}

  record Send(AUCommands message) implements Command {}

  /** A newer UPS connection took over: close this one after what is queued. */
  enum Replaced implements Command {
    INSTANCE
  }

  private record FrameReceived(ByteString body) implements Command {}

  /** The peer's byte stream ended; {@code failure} is null when it closed cleanly. */
  private record InputEnded(Throwable failure) implements Command {}

  private static final int OUTGOING_BUFFER_FRAMES = 1024;

  private final ActorRef<SimAmazon.Command> owner;
  private final InetSocketAddress remote;
  private final BoundedSourceQueue<ByteString> outgoing;

  static Behavior<Command> create(
      Tcp.IncomingConnection connection, ActorRef<SimAmazon.Command> owner, int maxFrameBytes) {
    return Behaviors.setup(context -> new UpsConnection(context, connection, owner, maxFrameBytes));
  }

  private UpsConnection(
      ActorContext<Command> context,
      Tcp.IncomingConnection connection,
      ActorRef<SimAmazon.Command> owner,
      int maxFrameBytes) {
    super(context);
    this.owner = owner;
    this.remote = connection.remoteAddress();
    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> out =
        Source.<ByteString>queue(OUTGOING_BUFFER_FRAMES).preMaterialize(context.getSystem());
    this.outgoing = out.first();
    ActorRef<Command> self = context.getSelf();
    Sink<ByteString, CompletionStage<Done>> in =
        VarintFraming.decoder(maxFrameBytes, VarintFraming.DEFAULT_FRAME_READ_TIMEOUT)
            .toMat(Sink.foreach(body -> self.tell(new FrameReceived(body))), Keep.right());
    // Coupled: when either direction ends, the whole TCP connection closes.
    CompletionStage<Done> inputDone =
        connection.handleWith(
            Flow.fromSinkAndSourceCoupledMat(in, out.second(), Keep.left()), context.getSystem());
    context.pipeToSelf(inputDone, (done, failure) -> new InputEnded(failure));
    context.getLog().info("UPS connected from {}", remote);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FrameReceived.class, this::onFrame)
        .onMessage(Send.class, this::onSend)
        .onMessageEquals(Replaced.INSTANCE, this::onReplaced)
        .onMessage(InputEnded.class, this::onInputEnded)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onFrame(FrameReceived frame) {
    try {
      owner.tell(new SimAmazon.FromUps(getContext().getSelf(), UACommands.parseFrom(frame.body().toArray())));
    } catch (InvalidProtocolBufferException e) {
      getContext()
          .getLog()
          .warn("UPS connection from {}: dropping it on a message that does not parse: {}",
              remote, e.getMessage());
      abort();
    }
    return this;
  }

  private Behavior<Command> onSend(Send send) {
    if (outgoing.isCompleted()) return this;
    if (outgoing.offer(VarintFraming.encode(send.message())) == QueueOfferResult.dropped()) {
      getContext()
          .getLog()
          .warn("UPS connection from {}: UPS does not read what we send, dropping it", remote);
      abort();
    }
    return this;
  }

  private Behavior<Command> onReplaced() {
    getContext().getLog().info("UPS connection from {}: replaced by a newer one, closing", remote);
    if (!outgoing.isCompleted()) outgoing.complete();
    return this;
  }

  private Behavior<Command> onInputEnded(InputEnded ended) {
    if (ended.failure() == null) {
      getContext().getLog().info("UPS connection from {} closed", remote);
    } else {
      getContext()
          .getLog()
          .info("UPS connection from {} closed on error: {}", remote, ended.failure().toString());
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    if (!outgoing.isCompleted()) outgoing.complete();
    return this;
  }

  private void abort() {
    if (!outgoing.isCompleted()) {
      outgoing.fail(new IOException("connection dropped by the Amazon simulator"));
    }
  }
}
