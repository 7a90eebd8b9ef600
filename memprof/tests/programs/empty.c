/* Allocates nothing itself: what the C runtime does on its own in a process. */
int main(void) { return 0; }
