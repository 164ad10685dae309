package org.miniups.sim.amazon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WarehouseTest {

  private static final List<Long> PRODUCTS = List.of(1L, 2L);

  @Test
  void buysTheUsualAmountWhenNothingWaits() {
    Warehouse warehouse = new Warehouse(1, 0, 0);
    assertEquals(Map.of(1L, 100, 2L, 100), warehouse.reorder(PRODUCTS, Map.of()));
    assertEquals(Map.of(), warehouse.reorder(PRODUCTS, Map.of()), "already on order");
  }

  @Test
  void buysForTheWholeBacklogInOnePurchase() {
    Warehouse warehouse = new Warehouse(1, 0, 0);
    warehouse.reorder(PRODUCTS, Map.of());
    warehouse.arrived(1L, 100);
    warehouse.arrived(2L, 100);
    // 1000 units of product 1 wanted, 100 in stock, 30 kept in reserve: 930 more in one go.
    assertEquals(Map.of(1L, 930), warehouse.reorder(PRODUCTS, Map.of(1L, 1000)));
    assertEquals(Map.of(), warehouse.reorder(PRODUCTS, Map.of(1L, 1000)), "the backlog is on order");
  }
}
