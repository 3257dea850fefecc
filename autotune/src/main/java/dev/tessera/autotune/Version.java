package dev.tessera.autotune;

/** The Tessera version written into tuning records. */
final class Version {
    static final String TESSERA = "0.1.0-SNAPSHOT";

    private Version() {}
}
