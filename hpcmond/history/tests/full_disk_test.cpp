// placeholder until the tmpfs test is written
