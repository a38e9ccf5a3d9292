"""Made-up credentials that tests plant to prove they are refused and never echoed.

Each is assembled from two halves so that the source never holds a literal that secret scanners (or a reader)
would take for a leaked credential. None of them was ever valid anywhere.
"""

GITHUB_TOKEN = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
SLACK_TOKEN = "xoxb-" + "2385960-24859-JDAvTn3qB4"
AWS_ACCESS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
PRIVATE_KEY_HEADER = "-----BEGIN OPENSSH " + "PRIVATE KEY-----"
