"""ytplay in the desktop: MPRIS over D-Bus, so media keys, status bars and playerctl work."""
