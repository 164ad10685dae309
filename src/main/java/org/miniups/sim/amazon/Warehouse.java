package org.miniups.sim.amazon;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.miniups.proto.UpsAmazon.AUItem;

/**
 * One warehouse and Amazon's own account of its stock, so that a pack is only asked for when the
 * world has the goods (the world answers a pack it cannot fill with AErr). Stock counts from the
 * world's "purchase arrived", minus what packs took; what is bought but not arrived is on order.
 */
final class Warehouse {
  // Enough for many shipments (each takes at most 3 products × 3 units) between two purchases.
  private static final int REORDER_BELOW = 30;
  private static final int REORDER_AMOUNT = 100;

  final int id;
  final int x;
  final int y;
  private final Map<Long, Integer> inStock = new HashMap<>();
  private final Map<Long, Integer> onOrder = new HashMap<>();

  /** A warehouse as saved across a restart. */
  record Saved(int id, int x, int y, Map<Long, Integer> inStock, Map<Long, Integer> onOrder) {}

  Warehouse(int id, int x, int y) {
    this.id = id;
    this.x = x;
    this.y = y;
  }

  Saved saved() {
    return new Saved(id, x, y, Map.copyOf(inStock), Map.copyOf(onOrder));
  }

  static Warehouse restore(Saved saved) {
    Warehouse warehouse = new Warehouse(saved.id(), saved.x(), saved.y());
    warehouse.inStock.putAll(saved.inStock());
    warehouse.onOrder.putAll(saved.onOrder());
    return warehouse;
  }

  boolean has(List<AUItem> items) {
    return items.stream()
        .allMatch(item -> inStock.getOrDefault(item.getProductid(), 0) >= item.getCount());
  }

  void take(List<AUItem> items) {
    items.forEach(item -> inStock.merge(item.getProductid(), -item.getCount(), Integer::sum));
  }

  void arrived(long productId, int count) {
    inStock.merge(productId, count, Integer::sum);
    onOrder.merge(productId, -count, Integer::sum);
  }

  /**
   * What to buy now so that no product runs low once {@code waiting} (what shipments still wait
   * for, by product) is served; it counts as on order from here on. Buying for the whole backlog
   * at once lets a burst of pickups be packed after one purchase, not after one per 100 units.
   */
  Map<Long, Integer> reorder(List<Long> productIds, Map<Long, Integer> waiting) {
    Map<Long, Integer> purchase = new LinkedHashMap<>();
    for (long productId : productIds) {
      int coming = inStock.getOrDefault(productId, 0) + onOrder.getOrDefault(productId, 0);
      int needed = waiting.getOrDefault(productId, 0) + REORDER_BELOW;
      if (coming < needed) {
        int amount = Math.max(REORDER_AMOUNT, needed - coming);
        purchase.put(productId, amount);
        onOrder.merge(productId, amount, Integer::sum);
      }
    }
    return purchase;
  }
}
