// Package dockertest gives tests what they need to run the reference
// server as a container: a Docker engine (Engine), a static wcp binary
// (WCPBinary) and an image of it built from the repository's Dockerfile
// (Image).
//
// No registry is reachable where the tests run, so nothing is pulled: the
// image is FROM scratch around a binary built here, and the engine is
// reached with testcontainers' reaper off (see harness.ConnectDocker).
// Images are kept in the engine under fixed tags (they are cheap, and the
// next run replaces them); containers are the tests' to remove.
package dockertest
