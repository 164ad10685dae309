package org.miniups.world;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.miniups.CborSerializable;
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.WorldUps;

/**
 * The World link: a {@link LinkConnection} that joins a world with our fleet ({@code UConnect} /
 * {@code UConnected}) and then speaks {@code UCommands} / {@code UResponses}. The target of an
 * {@link LinkConnection.Open} is a world id: 0 means the world this database belongs to, or a new
 * one. A database belongs to one world; any other is refused, not followed.
 */
public final class WorldConnection implements LinkConnection.Protocol {
  public static final String CONNECTED = "connected!";
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  public record TruckInit(int id, int x, int y) implements CborSerializable {}

  public static LinkConnection.Settings settings(Config config) {
    return LinkConnection.Settings.fromConfig(config, "mini-ups.world");
  }

  public static Behavior<LinkConnection.Command> create(
      LinkConnection.Settings settings,
      List<TruckInit> fleet,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox,
      ActorRef<WorldIdentity.Command> identity) {
    return Behaviors.setup(
        context ->
            LinkConnection.create(
                settings, new WorldConnection(context.getSystem(), fleet, identity), outbox, inbox));
  }

  private final ActorSystem<?> system;
  private final List<TruckInit> fleet;
  private final ActorRef<WorldIdentity.Command> identity;

  private WorldConnection(ActorSystem<?> system, List<TruckInit> fleet, ActorRef<WorldIdentity.Command> identity) {
    this.system = system;
    this.fleet = List.copyOf(fleet);
    this.identity = identity;
  }

  @Override
  public String peerName() {
    return "the World";
  }

  @Override
  public String describe(long target) {
    return target == 0 ? "a new world" : "world " + target;
  }

  @Override
  public CompletionStage<Long> resolve(long requested) {
    return AskPattern.<WorldIdentity.Command, WorldIdentity.State>ask(
            identity, WorldIdentity.Get::new, ASK_TIMEOUT, system.scheduler())
        .thenCompose(
            known -> {
              if (!known.allows(requested)) {
                return CompletableFuture.failedFuture(
                    new IllegalStateException(
                        "error: this UPS belongs to world " + known.worldId() + "; refusing to join world "
                            + requested + " (use a fresh database for a new world)"));
              }
              return CompletableFuture.completedFuture(requested != 0 ? requested : known.worldId());
            });
  }

  @Override
  public Optional<MessageLite> greeting(long worldId) {
    WorldUps.UConnect.Builder hello = WorldUps.UConnect.newBuilder().setIsAmazon(false);
    if (worldId != 0) hello.setWorldid(worldId);
    for (TruckInit truck : fleet) {
      hello.addTrucks(WorldUps.UInitTruck.newBuilder().setId(truck.id()).setX(truck.x()).setY(truck.y()));
    }
    return Optional.of(hello.build());
  }

  @Override
  public CompletionStage<LinkConnection.Handshake> handshake(long worldId, ByteString firstFrame)
      throws InvalidProtocolBufferException {
    WorldUps.UConnected answer = WorldUps.UConnected.parseFrom(firstFrame.toArrayUnsafe());
    if (!CONNECTED.equals(answer.getResult())) {
      return CompletableFuture.completedFuture(
          new LinkConnection.Handshake(false, answer.getResult(), worldId, true, List.of(), Optional.empty()));
    }
    long joined = answer.getWorldid();
    return AskPattern.<WorldIdentity.Command, WorldIdentity.State>ask(
            identity, replyTo -> new WorldIdentity.Claim(joined, replyTo), ASK_TIMEOUT, system.scheduler())
        .thenApply(
            ours ->
                ours.worldId() == joined
                    ? new LinkConnection.Handshake(true, CONNECTED, joined, true, List.of(), Optional.empty())
                    : new LinkConnection.Handshake(
                        false,
                        "error: the World put us in world " + joined + " but this UPS belongs to world " + ours.worldId(),
                        worldId,
                        false,
                        List.of(),
                        Optional.empty()));
  }

  @Override
  public MessageLite commands(List<ResendSupervisor.Item> items, List<Long> acks) {
    return WorldCodec.commands(items, acks);
  }

  @Override
  public LinkConnection.Inbound parse(long worldId, ByteString frame) throws InvalidProtocolBufferException {
    WorldUps.UResponses responses = WorldUps.UResponses.parseFrom(frame.toArrayUnsafe());
    List<LinkConnection.Received> items =
        WorldCodec.events(responses).stream()
            .map(inbound -> new LinkConnection.Received(inbound.seqnum(), inbound.event()))
            .toList();
    return new LinkConnection.Inbound(
        responses.getAcksList(), items, responses.hasFinished() && responses.getFinished());
  }

  @Override
  public Optional<MessageLite> farewell() {
    return Optional.of(WorldUps.UCommands.newBuilder().setDisconnect(true).build());
  }
}
