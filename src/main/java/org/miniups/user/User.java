package org.miniups.user;

import org.miniups.CborSerializable;

/** One user as the outside sees it (never the hash). {@code id} is the UPS profile ID. */
public record User(long id, String username, String email) implements CborSerializable {}
