select é, €, 😀;
