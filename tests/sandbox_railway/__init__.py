"""Tests of the Railway emulator, over a real loopback socket with httpx and raw GraphQL documents."""
