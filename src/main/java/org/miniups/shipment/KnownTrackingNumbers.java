package org.miniups.shipment;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Optional;

/**
 * This node's memory of which shipment a tracking number names. A number never changes its
 * shipment, so an entry never goes stale; the cache is bounded, and a number not found is not
 * remembered (it may be registered a moment later).
 */
public final class KnownTrackingNumbers {
  private final Cache<String, Long> shipIds;

  public KnownTrackingNumbers(long maximumSize) {
    this.shipIds = Caffeine.newBuilder().maximumSize(maximumSize).build();
  }

  public Optional<Long> shipId(String trackingNumber) {
    return Optional.ofNullable(shipIds.getIfPresent(trackingNumber));
  }

  public void remember(String trackingNumber, long shipId) {
    shipIds.put(trackingNumber, shipId);
  }
}
