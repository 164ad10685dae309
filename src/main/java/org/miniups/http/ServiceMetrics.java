package org.miniups.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/** The JVM's and the process's own meters in /metrics: memory, GC, threads, CPU, classes, uptime, open files. */
public final class ServiceMetrics implements AutoCloseable {
  private final JvmGcMetrics gc;

  private ServiceMetrics(JvmGcMetrics gc) {
    this.gc = gc;
  }

  /** Binds them to {@code registry}; close the result on shutdown. */
  public static ServiceMetrics bindTo(MeterRegistry registry) {
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    return new ServiceMetrics(gc);
  }

  /** The GC meters listen to the collectors' notifications until closed (the others are read on each scrape). */
  @Override
  public void close() {
    gc.close();
  }
}
