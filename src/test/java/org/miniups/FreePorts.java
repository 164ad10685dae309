package org.miniups;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for servers a test starts later (often in another JVM). A port from {@code bind(0)} lies
 * in the kernel's ephemeral range, where any outgoing connection may take it as its local port
 * before the server binds (the likeliest reason a CI run's World in ResilienceIT never started):
 * these come from below that range (32768 on Linux), free when handed out and never handed out
 * twice in one JVM.
 */
public final class FreePorts {
  private static final int FIRST = 20_000;
  private static final int END = 32_768;
  private static final AtomicInteger next = new AtomicInteger(FIRST + ThreadLocalRandom.current().nextInt(6_000));

  private FreePorts() {}

  public static int next() {
    for (int tries = 0; tries < END - FIRST; tries++) {
      int port = FIRST + Math.floorMod(next.getAndIncrement() - FIRST, END - FIRST);
      if (isFree(port)) return port;
    }
    throw new IllegalStateException("no free port between " + FIRST + " and " + END);
  }

  private static boolean isFree(int port) {
    try (ServerSocket probe = new ServerSocket(port)) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
