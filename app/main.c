/* placeholder until the real main lands */
int main(void) { return 0; }
