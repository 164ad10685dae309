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
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
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
 */
final class PeerConnection extends AbstractBehavior<PeerConnection.Command> {

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

  private enum Phase {
    AWAITING_CONNECT,
    JOINING,
    JOINED,
    CLOSING
  }

  private static final int OUTGOING_BUFFER_FRAMES = 1024;
  private static final TextFormat.Printer ONE_LINE = TextFormat.printer().emittingSingleLine(true);
  // Only bounds how long one frame may wait for this actor; a world never takes that long.
  private static final Duration FRAME_HANDLING_TIMEOUT = Duration.ofSeconds(30);

  private final Side side;
  private final ActorRef<WorldRegistry.Command> registry;
  private final InetSocketAddress remote;
  private final BoundedSourceQueue<ByteString> outgoing;
  private Phase phase = Phase.AWAITING_CONNECT;
  private ActorRef<Done> heldFrameAck;
  private ActorRef<World.Command> world;
  private long worldId;

  static Behavior<Command> create(
      Tcp.IncomingConnection connection,
      Side side,
      ActorRef<WorldRegistry.Command> registry,
      int maxFrameBytes) {
    return Behaviors.setup(
        context -> new PeerConnection(context, connection, side, registry, maxFrameBytes));
  }

  private PeerConnection(
      ActorContext<Command> context,
      Tcp.IncomingConnection connection,
      Side side,
      ActorRef<WorldRegistry.Command> registry,
      int maxFrameBytes) {
    super(context);
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

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FrameReceived.class, this::onFrame)
        .onMessage(JoinAccepted.class, this::onJoinAccepted)
        .onMessage(JoinRefused.class, this::onJoinRefused)
        .onMessage(Send.class, this::onSend)
        .onMessage(InputEnded.class, this::onInputEnded)
        .onMessage(Drop.class, this::onDrop)
        .onSignal(PostStop.class, signal -> onPostStop())
        .build();
  }

  private Behavior<Command> onFrame(FrameReceived frame) {
    switch (phase) {
      case AWAITING_CONNECT -> {
        handleConnect(frame.body());
        if (phase == Phase.JOINING) {
          // Hold further frames until the world has answered, so none overtakes the join.
          heldFrameAck = frame.ack();
          return this;
        }
      }
      case JOINED -> forwardCommands(frame.body());
      default -> {
        // Closing: the rest of what the peer sent is ignored.
      }
    }
    frame.ack().tell(Done.getInstance());
    return this;
  }

  private void handleConnect(ByteString body) {
    OptionalLong worldId;
    List<World.Site> sites = new ArrayList<>();
    boolean isAmazon;
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
      refuse(0, "error: the first message must be a valid " + expected + " (" + e.getMessage() + ")");
      return;
    }
    String problem = checkConnect(sites, isAmazon);
    if (problem != null) {
      refuse(worldId.orElse(0), "error: " + problem);
      return;
    }
    phase = Phase.JOINING;
    registry.tell(new WorldRegistry.Join(side, worldId, sites, getContext().getSelf()));
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

  private void forwardCommands(ByteString body) {
    try {
      if (side == Side.UPS) {
        world.tell(new World.UpsCommands(UCommands.parseFrom(body.toArray()), getContext().getSelf()));
      } else {
        world.tell(new World.AmazonCommands(ACommands.parseFrom(body.toArray()), getContext().getSelf()));
      }
    } catch (InvalidProtocolBufferException e) {
      getContext()
          .getLog()
          .warn("{} connection from {} (world {}): closing on a body that does not parse: {}",
              side, remote, worldId, e.getMessage());
      close();
    }
  }

  private Behavior<Command> onJoinAccepted(JoinAccepted accepted) {
    if (phase == Phase.CLOSING) {
      // Dropped while the join was on its way: let the world know right away.
      accepted.world().tell(new World.PeerLeft(side, getContext().getSelf()));
      return this;
    }
    world = accepted.world();
    worldId = accepted.worldId();
    phase = Phase.JOINED;
    offer(connected(worldId, "connected!"));
    getContext().getLog().info("{} connection from {} joined world {}", side, remote, worldId);
    releaseHeldFrame();
    return this;
  }

  private Behavior<Command> onJoinRefused(JoinRefused refused) {
    refuse(refused.worldId(), refused.reason());
    releaseHeldFrame();
    return this;
  }

  private void refuse(long requestedWorldId, String reason) {
    getContext().getLog().info("{} connection from {} refused: {}", side, remote, reason);
    offer(connected(requestedWorldId, reason));
    close();
  }

  private Message connected(long id, String result) {
    return side == Side.UPS
        ? UConnected.newBuilder().setWorldid(id).setResult(result).build()
        : AConnected.newBuilder().setWorldid(id).setResult(result).build();
  }

  private Behavior<Command> onSend(Send send) {
    if (phase != Phase.JOINED) return this;
    if (outgoing.offer(send.frame()) == QueueOfferResult.dropped()) {
      getContext()
          .getLog()
          .warn("{} connection from {} (world {}): peer does not read its responses, dropping it",
              side, remote, worldId);
      abort();
    } else if (send.closeAfter()) {
      getContext()
          .getLog()
          .info("{} connection from {} (world {}): disconnect requested, closing", side, remote,
              worldId);
      close();
    }
    return this;
  }

  private Behavior<Command> onDrop(Drop drop) {
    getContext().getLog().info("{} connection from {}: dropped by the simulator", side, remote);
    abort();
    drop.replyTo().tell(Done.getInstance());
    return this;
  }

  private Behavior<Command> onInputEnded(InputEnded ended) {
    if (ended.failure() == null) {
      getContext().getLog().info("{} connection from {} closed", side, remote);
    } else {
      getContext()
          .getLog()
          .info("{} connection from {} closed on error: {}", side, remote, ended.failure().toString());
    }
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    leaveWorld();
    if (!outgoing.isCompleted()) outgoing.complete();
    return Behaviors.same();
  }

  private void offer(Message message) {
    logDebug(message);
    outgoing.offer(VarintFraming.encode(message));
  }

  /** Lets what is queued go out, then closes; the actor stops when the input side ends. */
  private void close() {
    phase = Phase.CLOSING;
    leaveWorld();
    if (!outgoing.isCompleted()) outgoing.complete();
  }

  /** Tears the connection down without flushing, like a crash would. */
  private void abort() {
    phase = Phase.CLOSING;
    leaveWorld();
    if (!outgoing.isCompleted()) {
      outgoing.fail(new IOException("connection aborted by the world simulator"));
    }
  }

  /** Tells the world at once, so that the peer can join again on a new connection. */
  private void leaveWorld() {
    if (world != null) {
      world.tell(new World.PeerLeft(side, getContext().getSelf()));
      world = null;
    }
  }

  private void releaseHeldFrame() {
    if (heldFrameAck != null) {
      heldFrameAck.tell(Done.getInstance());
      heldFrameAck = null;
    }
  }

  private void logDebug(MessageOrBuilder message) {
    if (getContext().getLog().isDebugEnabled()) {
      getContext()
          .getLog()
          .debug("{} connection from {}: {}", side, remote, ONE_LINE.printToString(message));
    }
  }
}
