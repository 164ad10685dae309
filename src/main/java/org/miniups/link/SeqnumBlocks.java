package org.miniups.link;

/**
 * The outbox's seqnums: blocks from the {@link SequenceAllocator}, the next one asked for before
 * this one runs out, so a store rarely waits for the allocator.
 */
final class SeqnumBlocks {
  private final int blockSize;
  private final Runnable askForBlock;
  private SequenceAllocator.Block block = new SequenceAllocator.Block(0, 0);
  private long next;
  private SequenceAllocator.Block nextBlock;
  private boolean asked;

  /** @param askForBlock asks the allocator for {@code blockSize} seqnums; the answer comes to {@link #granted} */
  SeqnumBlocks(int blockSize, Runnable askForBlock) {
    this.blockSize = blockSize;
    this.askForBlock = askForBlock;
  }

  int blockSize() {
    return blockSize;
  }

  /** Whether {@code count} seqnums are at hand; the next block is asked for when this one runs low. */
  boolean has(int count) {
    if (block.end() - next >= count) {
      if (block.end() - next - count < blockSize / 2 && nextBlock == null) request();
      return true;
    }
    if (nextBlock == null) return false;
    block = nextBlock;
    next = block.first();
    nextBlock = null;
    return has(count);
  }

  long take() {
    return next++;
  }

  /** Asks for a block, unless a request is out already. */
  void request() {
    if (asked) return;
    asked = true;
    askForBlock.run();
  }

  void granted(SequenceAllocator.Block granted) {
    asked = false;
    if (next >= block.end()) {
      block = granted;
      next = block.first();
    } else {
      nextBlock = granted;
    }
  }

  /** The request failed: ask again. */
  void refused() {
    asked = false;
    request();
  }
}
