/* The AWS managed policies (rules/managed-policies.ndjson), embedded so the binary needs no
 * data files; read by grants_managed.c. */
    .section .rodata
    .balign 8
    .global tw_managed_text
    .global tw_managed_text_end
tw_managed_text:
    .incbin "managed-policies.ndjson"
tw_managed_text_end:
    .byte 0
    .section .note.GNU-stack,"",@progbits
