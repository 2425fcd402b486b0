-- nothing here
/* nor /* here */ */
