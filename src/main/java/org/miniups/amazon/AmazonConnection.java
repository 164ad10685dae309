package org.miniups.amazon;

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
import org.miniups.link.InboundDedup;
import org.miniups.link.LinkConnection;
import org.miniups.link.ProtocolError;
import org.miniups.link.ResendSupervisor;
import org.miniups.proto.UpsAmazon;

/**
 * The Amazon link: a {@link LinkConnection} where UPS is the client. Amazon speaks first, naming
 * the world; UPS joins that world through the World link and answers {@code UAConnected} with the
 * World's result. A world other than the one this database belongs to is refused (and the answer
 * says why), never silently followed.
 */
public final class AmazonConnection implements LinkConnection.Protocol {

  public static LinkConnection.Settings settings(Config config) {
    return LinkConnection.Settings.fromConfig(config, "mini-ups.amazon");
  }

  public static Behavior<LinkConnection.Command> create(
      LinkConnection.Settings settings,
      ActorRef<LinkConnection.Command> world,
      Duration worldJoinPatience,
      ActorRef<ResendSupervisor.Command> outbox,
      ActorRef<InboundDedup.Command> inbox) {
    return Behaviors.setup(
        context ->
            LinkConnection.create(
                settings, new AmazonConnection(context.getSystem(), world, worldJoinPatience), outbox, inbox));
  }

  private final ActorSystem<?> system;
  private final ActorRef<LinkConnection.Command> world;
  private final Duration worldJoinPatience;

  private AmazonConnection(ActorSystem<?> system, ActorRef<LinkConnection.Command> world, Duration worldJoinPatience) {
    this.system = system;
    this.world = world;
    this.worldJoinPatience = worldJoinPatience;
  }

  @Override
  public String peerName() {
    return "Amazon";
  }

  @Override
  public String describe(long worldId) {
    return worldId == 0 ? "no world yet" : "world " + worldId;
  }

  @Override
  public CompletionStage<Long> resolve(long requested) {
    return CompletableFuture.completedFuture(requested);
  }

  @Override
  public Optional<MessageLite> greeting(long target) {
    return Optional.empty(); // Amazon speaks first
  }

  @Override
  public CompletionStage<LinkConnection.Handshake> handshake(long previousWorld, ByteString firstFrame)
      throws InvalidProtocolBufferException {
    UpsAmazon.AUCommands first = UpsAmazon.AUCommands.parseFrom(firstFrame.toArrayUnsafe());
    if (!first.hasWorld()) {
      return CompletableFuture.failedFuture(new ProtocolError("Amazon's first message does not name the world"));
    }
    long worldId = first.getWorld().getWorldid();
    return AskPattern.<LinkConnection.Command, LinkConnection.Opened>ask(
            world, replyTo -> new LinkConnection.Open(worldId, replyTo), worldJoinPatience, system.scheduler())
        .exceptionally(e -> new LinkConnection.Opened(worldId, "error: the World did not answer in time", false))
        .thenApply(
            joined -> {
              UpsAmazon.UACommands answer =
                  UpsAmazon.UACommands.newBuilder()
                      .setConnected(UpsAmazon.UAConnected.newBuilder().setWorldid(worldId).setResult(joined.result()))
                      .build();
              return new LinkConnection.Handshake(
                  joined.accepted(),
                  joined.result(),
                  worldId,
                  true,
                  List.of(answer),
                  joined.accepted() ? Optional.of(AmazonCodec.inbound(first)) : Optional.empty());
            });
  }

  @Override
  public MessageLite commands(List<ResendSupervisor.Item> items, List<Long> acks) {
    return AmazonCodec.commands(items, acks);
  }

  @Override
  public LinkConnection.Inbound parse(long worldId, ByteString frame) throws InvalidProtocolBufferException {
    UpsAmazon.AUCommands commands = UpsAmazon.AUCommands.parseFrom(frame.toArrayUnsafe());
    // The world is named once per connection; a message for another world must not be taken
    // as one for ours: drop the link, and the next handshake judges the world Amazon names.
    if (commands.hasWorld() && commands.getWorld().getWorldid() != worldId) {
      throw new ProtocolError(
          "a message that names world " + commands.getWorld().getWorldid() + " on a link to world " + worldId);
    }
    return AmazonCodec.inbound(commands);
  }

  @Override
  public Optional<MessageLite> farewell() {
    return Optional.empty(); // UACommands has no goodbye
  }
}
