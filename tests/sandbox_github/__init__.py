"""Tests of the GitHub REST stand-in, through PyGithub over a real loopback socket."""
