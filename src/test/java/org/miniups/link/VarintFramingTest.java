package org.miniups.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.miniups.proto.WorldUps;

class VarintFramingTest {
  private static final ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "framing");

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static WorldUps.UGoPickup pickup(int i) {
    return WorldUps.UGoPickup.newBuilder().setTruckid(i).setWhid(i * 7).setSeqnum(1000L + i).build();
  }

  private static List<ByteString> decode(List<ByteString> chunks, int max) throws Exception {
    return Source.from(chunks)
        .via(VarintFraming.decoder(max, Duration.ofSeconds(10)))
        .runWith(Sink.seq(), system)
        .toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }

  @Test
  void encodesLikeProtobufWriteDelimitedTo() throws Exception {
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    pickup(3).writeDelimitedTo(expected);
    assertEquals(ByteString.fromArray(expected.toByteArray()), VarintFraming.encode(pickup(3)));
  }

  @Test
  void reassemblesMessagesSplitAndMergedAcrossReads() throws Exception {
    ByteString all = ByteString.emptyByteString();
    for (int i = 0; i < 50; i++) all = all.concat(VarintFraming.encode(pickup(i)));
    List<ByteString> chunks = new ArrayList<>();
    // Chunks of 1..7 bytes: headers and bodies split at every possible position, several per chunk.
    for (int at = 0, size = 1; at < all.size(); at += size, size = size % 7 + 1) {
      chunks.add(all.slice(at, Math.min(all.size(), at + size)));
    }
    List<ByteString> frames = decode(chunks, 1 << 20);
    assertEquals(50, frames.size());
    for (int i = 0; i < 50; i++) {
      assertEquals(pickup(i), WorldUps.UGoPickup.parseFrom(frames.get(i).toArray()));
    }
  }

  @Test
  void largeMessageWithMultiByteLengthPrefix() throws Exception {
    WorldUps.UGoDeliver.Builder big = WorldUps.UGoDeliver.newBuilder().setTruckid(1).setSeqnum(1);
    for (int i = 0; i < 5000; i++) {
      big.addPackages(WorldUps.UDeliveryLocation.newBuilder().setPackageid(i).setX(i).setY(-i));
    }
    ByteString encoded = VarintFraming.encode(big.build());
    List<ByteString> frames = decode(List.of(encoded.take(3), encoded.drop(3)), 1 << 20);
    assertEquals(big.build(), WorldUps.UGoDeliver.parseFrom(frames.get(0).toArray()));
  }

  @Test
  void frameAboveTheMaximumFailsTheStream() {
    ByteString encoded = VarintFraming.encode(pickup(1).toBuilder().setSeqnum(Long.MAX_VALUE).build());
    ExecutionException failure =
        assertThrows(ExecutionException.class, () -> decode(List.of(encoded), 4));
    assertTrue(failure.getCause() instanceof ProtocolError);
    assertTrue(failure.getCause().getMessage().contains("exceeds the maximum of 4 bytes"));
  }

  @Test
  void hugeDeclaredLengthIsRejectedBeforeTheBodyArrives() {
    // A 5-byte varint declaring ~34 GB, and no body at all.
    ByteString header = ByteString.fromArray(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f});
    ExecutionException failure =
        assertThrows(ExecutionException.class, () -> decode(List.of(header), 1 << 20));
    assertTrue(failure.getCause() instanceof ProtocolError);
  }

  /** {@code body}, length-prefixed, cut into 64-byte chunks. */
  private static List<ByteString> in64ByteChunks(byte[] body) throws Exception {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream header = com.google.protobuf.CodedOutputStream.newInstance(wire);
    header.writeUInt32NoTag(body.length);
    header.flush();
    wire.write(body);
    ByteString all = ByteString.fromArray(wire.toByteArray());
    List<ByteString> chunks = new ArrayList<>();
    for (int at = 0; at < all.size(); at += 64) chunks.add(all.slice(at, Math.min(all.size(), at + 64)));
    return chunks;
  }

  private static byte[] randomBytes(int size) {
    byte[] body = new byte[size];
    new java.util.Random(20).nextBytes(body);
    return body;
  }

  @Test
  void aOneMibFrameIn64ByteChunksDecodes() throws Exception {
    byte[] body = randomBytes(1 << 20);
    assertEquals(List.of(ByteString.fromArray(body)), decode(in64ByteChunks(body), 1 << 20));
  }

  @Test
  void aFrameInManyChunksIsCopiedOnceNotOncePerChunk() throws Exception {
    // Re-copying the partial frame on each chunk would copy 1 024 chunks times 32 KiB on average.
    byte[] body = randomBytes(64 * 1024);
    VarintFraming.Accumulator frames = new VarintFraming.Accumulator(1 << 20);
    List<ByteString> decoded = new ArrayList<>();
    for (ByteString chunk : in64ByteChunks(body)) decoded.addAll(frames.add(chunk));
    assertEquals(List.of(ByteString.fromArray(body)), decoded);
    assertEquals(body.length, frames.bytesCopied(), "each byte of the body copied once");
  }
}
