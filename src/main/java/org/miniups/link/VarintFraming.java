package org.miniups.link;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * The wire framing of every link (PROTOCOL.md "Framing"): each protobuf message is preceded by its
 * length as a base-128 varint, as protobuf-java's {@code writeDelimitedTo} writes it.
 */
public final class VarintFraming {
  private static final int MAX_VARINT_BYTES = 10;

  private VarintFraming() {}

  /** One message, length-prefixed, ready to write to a socket. */
  public static ByteString encode(MessageLite message) {
    int size = message.getSerializedSize();
    byte[] out = new byte[CodedOutputStream.computeUInt32SizeNoTag(size) + size];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    try {
      stream.writeUInt32NoTag(size);
      message.writeTo(stream);
      stream.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return ByteString.fromArrayUnsafe(out);
  }

  /**
   * Cuts a byte stream into message bodies, however TCP split or merged them. A declared length
   * above {@code maxFrameBytes} or a broken varint fails the stream with a {@link ProtocolError},
   * which the connection owner turns into "drop and reconnect".
   */
  public static Flow<ByteString, ByteString, NotUsed> decoder(int maxFrameBytes) {
    return Flow.of(ByteString.class)
        .statefulMap(
            ByteString::emptyByteString,
            (buffered, chunk) -> {
              ByteString buffer = buffered.concat(chunk);
              List<ByteString> frames = new ArrayList<>();
              while (true) {
                long header = readHeader(buffer, maxFrameBytes);
                if (header < 0) break;
                int headerBytes = (int) (header >>> 32);
                int length = (int) header;
                if (buffer.size() < headerBytes + length) break;
                frames.add(buffer.slice(headerBytes, headerBytes + length).compact());
                buffer = buffer.drop(headerBytes + length);
              }
              return Pair.create(buffer.compact(), frames);
            },
            rest -> java.util.Optional.empty())
        .mapConcat(frames -> frames);
  }

  /**
   * Reads the varint at the start of {@code buffer}: -1 when more bytes are needed, else the
   * header length in the high 32 bits and the body length in the low 32 bits.
   */
  private static long readHeader(ByteString buffer, int maxFrameBytes) {
    long value = 0;
    for (int i = 0; i < MAX_VARINT_BYTES; i++) {
      if (i >= buffer.size()) return -1;
      int b = buffer.apply(i) & 0xff;
      value |= (long) (b & 0x7f) << (7 * i);
      if (value > maxFrameBytes) {
        throw new ProtocolError(
            "frame of " + value + "+ bytes exceeds the maximum of " + maxFrameBytes + " bytes");
      }
      if ((b & 0x80) == 0) return ((long) (i + 1) << 32) | value;
    }
    throw new ProtocolError("malformed length prefix (varint longer than 10 bytes)");
  }
}
