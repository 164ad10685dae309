package org.miniups;

public final class Main {
  public static void main(String[] args) {
    System.out.println(org.miniups.proto.WorldUps.UConnect.newBuilder().setIsAmazon(false).build());
  }
}
