"""Video: meetings, WebRTC signalling with a waiting room, TURN credentials and the echo test."""
