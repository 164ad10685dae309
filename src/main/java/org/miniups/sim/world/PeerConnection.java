package org.miniups.sim.world;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
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
import org.miniups.proto.WorldAmazon.ACommands;
import org.miniups.proto.WorldAmazon.AConnect;
import org.miniups.proto.WorldAmazon.AConnected;
import org.miniups.proto.WorldAmazon.AInitWarehouse;
import org.miniups.proto.WorldUps.UCommands;
import org.miniups.proto.WorldUps.UConnect;
import org.miniups.proto.WorldUps.UConnected;
import org.miniups.proto.WorldUps.UInitTruck;

/**
 * One accepted TCP connection of either side. It cuts the byte stream into frames, parses them,
 * handles the connect handshake and forwards commands to its world; the world's responses come
 * back as ready-framed bytes. The connection's lifetime is this actor's lifetime.
 *
 * <p>One behavior per phase: {@link #awaitingConnect}, {@link #joining} (the connect message went
 * to the registry), {@link #joined} (holding its world) and {@link #closing}.
 */
final class PeerConnection {

  sealed interface Command {}

  /** A frame from the peer; acking it lets the stream read the next one (backpressure). */
  record FrameReceived(ByteString body, ActorRef<Done> ack) implements Command {}

  /** The peer's byte stream ended; {@code failure} is null when it closed cleanly. */
  record InputEnded(Throwable failure) implements Command {}

  record JoinAccepted(long worldId, ActorRef<World.Command> world) implements Command {}

  record JoinRefused(long worldId, String reason) implements Command {}

  /** A framed response from the world; {@code closeAfter} ends the connection once it is out. */
  record Send(ByteString frame, boolean closeAfter) implements Command {}

  /** Abort the connection at once, as a crash or network failure would. */
  record Drop(ActorRef<Done> replyTo) implements Command {}

  private static final int OUTGOING_BUFFER_FRAMES = 1024;
  private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);
  // Only bounds how long one frame may wait for this actor; a world never takes that long.
  private static final Duration FRAME_HANDLING_TIMEOUT = Duration.ofSeconds(30);

  private final ActorContext<Command> context;
  private final Side side;
  private final ActorRef<WorldRegistry.Command> registry;
  private final InetSocketAddress remote;
  private final BoundedSourceQueue<ByteString> outgoing;

  static Behavior<Command> create(
      Tcp.IncomingConnection connection,
      Side side,
      ActorRef<WorldRegistry.Command> registry,
      int maxFrameBytes) {
    return Behaviors.setup(
        context ->
            new PeerConnection(context, connection, side, registry, maxFrameBytes).awaitingConnect());
  }

  private PeerConnection(
      ActorContext<Command> context,
      Tcp.IncomingConnection connection,
      Side side,
      ActorRef<WorldRegistry.Command> registry,
      int maxFrameBytes) {
    this.context = context;
    this.side = side;
    this.registry = registry;
    this.remote = connection.remoteAddress();

    Pair<BoundedSourceQueue<ByteString>, Source<ByteString, NotUsed>> out =
        Source.<ByteString>queue(OUTGOING_BUFFER_FRAMES).preMaterialize(context.getSystem());
    this.outgoing = out.first();
    ActorRef<Command> self = context.getSelf();
    Sink<ByteString, CompletionStage<Done>> in =
        VarintFraming.decoder(maxFrameBytes, VarintFraming.DEFAULT_FRAME_READ_TIMEOUT)
            .mapAsync(
                1,
                body ->
                    AskPattern.<Command, Done>ask(
                        self,
                        ack -> new FrameReceived(body, ack),
                        FRAME_HANDLING_TIMEOUT,
                        context.getSystem().scheduler()))
            .toMat(Sink.ignore(), Keep.right());
    // Coupled: when either direction ends, the whole TCP connection closes.
    CompletionStage<Done> inputDone =
        connection.handleWith(
            Flow.fromSinkAndSourceCoupledMat(in, out.second(), Keep.left()), context.getSystem());
    context.pipeToSelf(inputDone, (done, failure) -> new InputEnded(failure));
    context.getLog().info("{} connection from {} accepted", side, remote);
  }

  /** The first frame must be the side's connect message. */
  private Behavior<Command> awaitingConnect() {
    return Behaviors.receive(Command.class)
        .onMessage(FrameReceived.class, this::onConnect)
        .onMessage(Drop.class, drop -> onDrop(drop, null))
        .onMessage(InputEnded.class, this::onInputEnded)
        .onSignal(PostStop.class, signal -> onPostStop(null))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  /**
   * The registry has the connect message; the frame's ack is held until the world has answered,
   * so that no frame overtakes the join.
   */
  private Behavior<Command> joining(ActorRef<Done> heldFrameAck) {
    return Behaviors.receive(Command.class)
        .onMessage(JoinAccepted.class, accepted -> onJoinAccepted(accepted, heldFrameAck))
        .onMessage(JoinRefused.class, refused -> {
          Behavior<Command> next = refuse(refused.worldId(), refused.reason());
          heldFrameAck.tell(Done.getInstance());
          return next;
        })
        .onMessage(FrameReceived.class, this::ignoreFrame)
        .onMessage(Drop.class, drop -> onDrop(drop, null, heldFrameAck))
        .onMessage(InputEnded.class, this::onInputEnded)
        .onSignal(PostStop.class, signal -> onPostStop(null))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> joined(ActorRef<World.Command> world, long worldId) {
    return Behaviors.receive(Command.class)
        .onMessage(FrameReceived.class, frame -> {
          Behavior<Command> next = forwardCommands(world, worldId, frame.body());
          frame.ack().tell(Done.getInstance());
          return next;
        })
        .onMessage(Send.class, send -> onSend(world, worldId, send))
        .onMessage(Drop.class, drop -> onDrop(drop, world))
        .onMessage(InputEnded.class, this::onInputEnded)
        .onSignal(PostStop.class, signal -> onPostStop(world))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  /**
   * Closed or aborted: the rest of what the peer sent is ignored, and the actor stops when the
   * input side ends. A frame ack held by the join is released when the registry refuses.
   */
  private Behavior<Command> closing(ActorRef<Done> heldFrameAck) {
    return Behaviors.receive(Command.class)
        .onMessage(FrameReceived.class, this::ignoreFrame)
        .onMessage(JoinAccepted.class, accepted -> {
          // Dropped while the join was on its way: let the world know right away.
          accepted.world().tell(new World.PeerLeft(side, context.getSelf()));
          return Behaviors.same();
        })
        .onMessage(JoinRefused.class, refused -> {
          context.getLog().info("{} connection from {} refused: {}", side, remote, refused.reason());
          offer(connected(refused.worldId(), refused.reason()));
          if (heldFrameAck != null) heldFrameAck.tell(Done.getInstance());
          return closing(null);
        })
        .onMessage(Drop.class, drop -> onDrop(drop, null, heldFrameAck))
        .onMessage(InputEnded.class, this::onInputEnded)
        .onSignal(PostStop.class, signal -> onPostStop(null))
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }

  private Behavior<Command> ignoreFrame(FrameReceived frame) {
    frame.ack().tell(Done.getInstance());
    return Behaviors.same();
  }

  private Behavior<Command> onConnect(FrameReceived frame) {
    OptionalLong worldId;
    List<World.Site> sites = new ArrayList<>();
    boolean isAmazon;
    ByteString body = frame.body();
    try {
      if (side == Side.UPS) {
        UConnect connect = UConnect.parseFrom(body.toArray());
        logDebug(connect);
        worldId = connect.hasWorldid() ? OptionalLong.of(connect.getWorldid()) : OptionalLong.empty();
        for (UInitTruck truck : connect.getTrucksList()) {
          sites.add(new World.Site(truck.getId(), truck.getX(), truck.getY()));
        }
        isAmazon = connect.getIsAmazon();
      } else {
        AConnect connect = AConnect.parseFrom(body.toArray());
        logDebug(connect);
        worldId = connect.hasWorldid() ? OptionalLong.of(connect.getWorldid()) : OptionalLong.empty();
        for (AInitWarehouse warehouse : connect.getInitwhList()) {
          sites.add(new World.Site(warehouse.getId(), warehouse.getX(), warehouse.getY()));
        }
        isAmazon = connect.getIsAmazon();
      }
    } catch (InvalidProtocolBufferException e) {
      String expected = side == Side.UPS ? "UConnect" : "AConnect";
      frame.ack().tell(Done.getInstance());
      return refuse(0, "error: the first message must be a valid " + expected + " (" + e.getMessage() + ")");
    }
    String problem = checkConnect(sites, isAmazon);
    if (problem != null) {
      frame.ack().tell(Done.getInstance());
      return refuse(worldId.orElse(0), "error: " + problem);
    }
    registry.tell(new WorldRegistry.Join(side, worldId, sites, context.getSelf()));
    return joining(frame.ack());
  }

  /** What makes a connect message unusable, or null when it is fine. */
  private String checkConnect(List<World.Site> sites, boolean isAmazon) {
    if (isAmazon != (side == Side.AMAZON)) {
      return "isAmazon=" + isAmazon + " on the " + side + " port";
    }
    HashSet<Integer> ids = new HashSet<>();
    for (World.Site site : sites) {
      if (!ids.add(site.id())) {
        return (side == Side.UPS ? "truck" : "warehouse") + " id " + site.id()
            + " is listed twice";
      }
    }
    return null;
  }

  private Behavior<Command> onJoinAccepted(JoinAccepted accepted, ActorRef<Done> heldFrameAck) {
    offer(connected(accepted.worldId(), "connected!"));
    context.getLog().info("{} connection from {} joined world {}", side, remote, accepted.worldId());
    heldFrameAck.tell(Done.getInstance());
    return joined(accepted.world(), accepted.worldId());
  }

  private Behavior<Command> forwardCommands(ActorRef<World.Command> world, long worldId, ByteString body) {
    try {
      if (side == Side.UPS) {
        world.tell(new World.UpsCommands(UCommands.parseFrom(body.toArray()), context.getSelf()));
      } else {
        world.tell(new World.AmazonCommands(ACommands.parseFrom(body.toArray()), context.getSelf()));
      }
      return Behaviors.same();
    } catch (InvalidProtocolBufferException e) {
      context
          .getLog()
          .warn("{} connection from {} (world {}): closing on a body that does not parse: {}",
              side, remote, worldId, e.getMessage());
      return close(world);
    }
  }

  private Behavior<Command> refuse(long requestedWorldId, String reason) {
    context.getLog().info("{} connection from {} refused: {}", side, remote, reason);
    offer(connected(requestedWorldId, reason));
    return close(null);
  }

  private Message connected(long id, String result) {
    return side == Side.UPS
        ? UConnected.newBuilder().setWorldid(id).setResult(result).build()
        : AConnected.newBuilder().setWorldid(id).setResult(result).build();
  }

  private Behavior<Command> onSend(ActorRef<World.Command> world, long worldId, Send send) {
    if (outgoing.offer(send.frame()) == QueueOfferResult.dropped()) {
      context
          .getLog()
          .warn("{} connection from {} (world {}): peer does not read its responses, dropping it",
              side, remote, worldId);
      return abort(world, null);
    } else if (send.closeAfter()) {
      context
          .getLog()
          .info("{} connection from {} (world {}): disconnect requested, closing", side, remote,
              worldId);
      return close(world);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onDrop(Drop drop, ActorRef<World.Command> world) {
    return onDrop(drop, world, null);
  }

  private Behavior<Command> onDrop(Drop drop, ActorRef<World.Command> world, ActorRef<Done> heldFrameAck) {
    context.getLog().info("{} connection from {}: dropped by the simulator", side, remote);
    Behavior<Command> next = abort(world, heldFrameAck);
    drop.replyTo().tell(Done.getInstance());
    return next;
  }

  private Behavior<Command> onInputEnded(InputEnded ended) {
    if (ended.failure() == null) {
      context.getLog().info("{} connection from {} closed", side, remote);
    } else {
      context
          .getLog()
          .info("{} connection from {} closed on error: {}", side, remote, ended.failure().toString());
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop(ActorRef<World.Command> world) {
    leave(world);
    if (!outgoing.isCompleted()) outgoing.complete();
    return Behaviors.same();
  }

  private void offer(Message message) {
    logDebug(message);
    outgoing.offer(VarintFraming.encode(message));
  }

  /** Lets what is queued go out, then closes; the actor stops when the input side ends. */
  private Behavior<Command> close(ActorRef<World.Command> world) {
    leave(world);
    if (!outgoing.isCompleted()) outgoing.complete();
    return closing(null);
  }

  /** Tears the connection down without flushing, like a crash would. */
  private Behavior<Command> abort(ActorRef<World.Command> world, ActorRef<Done> heldFrameAck) {
    leave(world);
    if (!outgoing.isCompleted()) {
      outgoing.fail(new IOException("connection aborted by the world simulator"));
    }
    return closing(heldFrameAck);
  }

  /** Tells the world at once, so that the peer can join again on a new connection. */
  private void leave(ActorRef<World.Command> world) {
    if (world != null) world.tell(new World.PeerLeft(side, context.getSelf()));
  }

  private void logDebug(MessageOrBuilder message) {
    if (context.getLog().isDebugEnabled()) {
      context.getLog().debug("{} connection from {}: {}", side, remote, ONE_LINE.printToString(message));
    }
  }
}
