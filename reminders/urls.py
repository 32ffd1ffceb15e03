from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("me/reminders/", views.my_reminders, name="mine"),
]
