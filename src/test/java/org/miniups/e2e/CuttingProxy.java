package org.miniups.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback between UPS and a peer (or its database) that breaks the link on
 * purpose: with cuts on, each connection is closed after a random number of bytes in a random
 * direction, in the middle of whatever it is forwarding (so mid-frame, and mid-batch when a frame
 * carries many items); a blackout closes every connection and refuses new ones for a while.
 */
public final class CuttingProxy implements AutoCloseable {
  private final int targetPort;
  private final int port;
  private final Random random;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicLong cuts = new AtomicLong();
  private volatile ServerSocket listener;
  private volatile int[] cutAfterBytes; // null: never cut

  private CuttingProxy(int targetPort, long seed) throws IOException {
    this.targetPort = targetPort;
    this.random = new Random(seed);
    this.listener = listen(0);
    this.port = listener.getLocalPort();
    startAccepting(listener);
  }

  public static CuttingProxy to(int targetPort, long seed) {
    try {
      return new CuttingProxy(targetPort, seed);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** Connections cut so far (by cuts and blackouts). */
  public long cuts() {
    return cuts.get();
  }

  /** From now on every connection is cut after between {@code min} and {@code max} bytes. */
  public void cutAfterBetween(int min, int max) {
    cutAfterBytes = new int[] {min, max};
  }

  public void stopCutting() {
    cutAfterBytes = null;
  }

  /** Closes every connection and refuses new ones until {@link #endBlackout}. */
  public synchronized void startBlackout() throws IOException {
    listener.close();
    for (Socket socket : open) closeQuietly(socket);
    cuts.addAndGet(open.size());
    open.clear();
  }

  public synchronized void endBlackout() throws IOException {
    listener = listen(port);
    startAccepting(listener);
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket socket = new ServerSocket();
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return socket;
  }

  private void startAccepting(ServerSocket server) {
    Thread acceptor = new Thread(() -> accept(server), "proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept(ServerSocket server) {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        open.add(client);
        open.add(upstream);
        long budget = nextBudget();
        boolean cutOnTheWayIn = random.nextBoolean();
        pump(client, upstream, cutOnTheWayIn ? budget : Long.MAX_VALUE);
        pump(upstream, client, cutOnTheWayIn ? Long.MAX_VALUE : budget);
      } catch (IOException e) {
        // The listener closed (blackout, close), or the target refused: the client sees a close.
      }
    }
  }

  private synchronized long nextBudget() {
    int[] range = cutAfterBytes;
    if (range == null) return Long.MAX_VALUE;
    return range[0] + random.nextInt(Math.max(1, range[1] - range[0]));
  }

  /** Copies one direction; after {@code budget} bytes it forwards part of a read and cuts both. */
  private void pump(Socket from, Socket to, long budget) {
    Thread pump =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              long left = budget;
              try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  if (n >= left) {
                    int partial = (int) Math.min(left, n - 1); // never the whole read: a cut inside it
                    if (partial > 0) out.write(buffer, 0, partial);
                    out.flush();
                    cuts.incrementAndGet();
                    break;
                  }
                  out.write(buffer, 0, n);
                  out.flush();
                  left -= n;
                }
              } catch (SocketException e) {
                // the other direction closed it
              } catch (IOException e) {
                // same: the connection is gone
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            },
            "proxy-pump-" + port);
    pump.setDaemon(true);
    pump.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // closing is all we wanted
    }
    for (Socket socket : open) closeQuietly(socket);
  }
}
