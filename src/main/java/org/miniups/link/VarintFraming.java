package org.miniups.link;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The wire framing of every link (PROTOCOL.md "Framing"): each protobuf message is preceded by its
 * length as a base-128 varint, as protobuf-java's {@code writeDelimitedTo} writes it.
 */
public final class VarintFraming {
  private static final int MAX_VARINT_BYTES = 10;

  /** The simulators' read timeout: the same as UPS's default {@code mini-ups.link.frame-read-timeout}. */
  public static final Duration DEFAULT_FRAME_READ_TIMEOUT = Duration.ofSeconds(10);

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
   * above {@code maxFrameBytes}, a broken varint, or a frame whose rest does not arrive within
   * {@code frameReadTimeout} of waiting for it fails the stream with a {@link ProtocolError},
   * which the connection owner turns into "drop and reconnect". A peer that sends nothing between
   * frames is not timed out: only a half-received frame is.
   */
  public static Flow<ByteString, ByteString, NotUsed> decoder(int maxFrameBytes, Duration frameReadTimeout) {
    return Flow.fromGraph(new Decoder(maxFrameBytes, frameReadTimeout));
  }

  private static final class Decoder extends GraphStage<FlowShape<ByteString, ByteString>> {
    private static final String DEADLINE = "frame-read-deadline";
    private final Inlet<ByteString> in = Inlet.create("VarintFraming.in");
    private final Outlet<ByteString> out = Outlet.create("VarintFraming.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final int maxFrameBytes;
    private final Duration frameReadTimeout;

    Decoder(int maxFrameBytes, Duration frameReadTimeout) {
      this.maxFrameBytes = maxFrameBytes;
      this.frameReadTimeout = frameReadTimeout;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new TimerGraphStageLogic(shape) {
        private final Accumulator frames = new Accumulator(maxFrameBytes);

        {
          setHandler(in, new AbstractInHandler() {
            @Override
            public void onPush() {
              List<ByteString> decoded;
              try {
                decoded = frames.add(grab(in));
              } catch (ProtocolError e) {
                failStage(e); // the owner logs it in one line; a thrown one would log a stack trace
                return;
              }
              if (decoded.isEmpty()) {
                waitForMore();
              } else {
                // The deadline counts only while we wait for the peer, not for our own reader.
                cancelTimer(DEADLINE);
                emitMultiple(out, decoded.iterator(), () -> waitForMore());
              }
            }

            @Override
            public void onUpstreamFinish() {
              complete(out); // after what is being emitted
            }
          });
          setHandler(out, new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!hasBeenPulled(in)) pull(in);
            }
          });
        }

        /** A frame begun and not finished starts its deadline, unless it already runs. */
        private void waitForMore() {
          if (frames.midFrame() && !isTimerActive(DEADLINE)) scheduleOnce(DEADLINE, frameReadTimeout);
          if (!hasBeenPulled(in) && !isClosed(in)) pull(in);
        }

        @Override
        public void onTimer(Object key) {
          failStage(new ProtocolError(
              "half a frame (" + frames.buffered() + " bytes), and not the rest within " + Backoff.describe(frameReadTimeout)));
        }
      };
    }
  }

  /**
   * Collects chunks until a frame's declared length is there, then copies its body once: the
   * partial frame is kept as the chunks that came, never re-copied as each chunk arrives.
   */
  static final class Accumulator {
    private final int maxFrameBytes;
    private final ArrayDeque<ByteString> chunks = new ArrayDeque<>();
    private long buffered;
    private int headerBytes; // 0 until the length prefix is complete
    private int bodyBytes;
    private long bytesCopied;

    Accumulator(int maxFrameBytes) {
      this.maxFrameBytes = maxFrameBytes;
    }

    /** The frames {@code chunk} completes, in order. */
    List<ByteString> add(ByteString chunk) {
      if (chunk.isEmpty()) return List.of();
      chunks.addLast(chunk);
      buffered += chunk.size();
      List<ByteString> frames = new ArrayList<>();
      while ((headerBytes > 0 || readHeader()) && buffered >= headerBytes + bodyBytes) {
        skip(headerBytes);
        frames.add(take(bodyBytes));
        headerBytes = 0;
      }
      return frames;
    }

    /** Some bytes of a frame came and the frame is not complete. */
    boolean midFrame() {
      return buffered > 0;
    }

    long buffered() {
      return buffered;
    }

    /** Bytes copied so far (the test seam that shows decoding stays linear). */
    long bytesCopied() {
      return bytesCopied;
    }

    /** Reads the length prefix at the front: false when more bytes are needed. */
    private boolean readHeader() {
      long value = 0;
      int i = 0;
      for (ByteString c : chunks) {
        for (int j = 0; j < c.size() && i < MAX_VARINT_BYTES; j++, i++) {
          int b = c.apply(j) & 0xff;
          value |= (long) (b & 0x7f) << (7 * i);
          if (value > maxFrameBytes) {
            throw new ProtocolError(
                "frame of " + value + "+ bytes exceeds the maximum of " + maxFrameBytes + " bytes");
          }
          if ((b & 0x80) == 0) {
            headerBytes = i + 1;
            bodyBytes = (int) value;
            return true;
          }
        }
        if (i == MAX_VARINT_BYTES) throw new ProtocolError("malformed length prefix (varint longer than 10 bytes)");
      }
      return false;
    }

    private void skip(int n) {
      buffered -= n;
      while (n > 0) {
        ByteString first = chunks.removeFirst();
        if (first.size() > n) chunks.addFirst(first.drop(n));
        n -= Math.min(n, first.size());
      }
    }

    /** The next {@code n} bytes as one compact ByteString: the only copy a byte goes through. */
    private ByteString take(int n) {
      ByteBuffer body = ByteBuffer.allocate(n);
      while (body.hasRemaining()) {
        ByteString first = chunks.removeFirst();
        int part = Math.min(first.size(), body.remaining());
        first.take(part).copyToBuffer(body);
        if (first.size() > part) chunks.addFirst(first.drop(part));
      }
      buffered -= n;
      bytesCopied += n;
      return ByteString.fromArrayUnsafe(body.array());
    }
  }
}
